"""The thread policy: what it chooses, and that it takes effect before torch loads."""

import json
import os
import subprocess
import sys

import pytest

from tsenas_pymoo import threads
from tsenas_pymoo.threads import ThreadPolicy, choose_policy


@pytest.fixture
def machine(monkeypatch):
    """A 4-core machine whose other load the test sets."""
    state = {"busy": 0.0}
    monkeypatch.setattr(threads, "usable_cores", lambda: 4)
    monkeypatch.setattr(threads, "busy_cores", lambda seconds=0.3: state["busy"])
    monkeypatch.delenv("OMP_WAIT_POLICY", raising=False)
    return state


def test_idle_machine_keeps_openmps_default_and_uses_every_core(machine):
    policy = choose_policy()
    assert (policy.threads, policy.wait, policy.cores) == (4, "default", 4)
    assert "OMP_WAIT_POLICY" not in policy.env() and policy.env()["OMP_NUM_THREADS"] == "4"


def test_loaded_or_oversubscribed_machine_waits_passively(machine):
    machine["busy"] = 2.0
    policy = choose_policy()
    assert policy.wait == "passive" and "2.0 cores busy" in policy.reason
    assert policy.threads == 2  # the free cores
    machine["busy"] = 3.8
    assert choose_policy().threads == 1 and choose_policy(threads=4).threads == 4
    assert policy.env()["OMP_WAIT_POLICY"] == "PASSIVE"  # the policy chosen at 2.0 busy cores
    machine["busy"] = 0.0
    assert choose_policy(processes=2).threads == 2 and choose_policy(processes=2).wait == "default"
    assert choose_policy(processes=8).threads == 1  # never below one thread
    assert choose_policy(threads=3, processes=2).wait == "passive"  # 6 threads on 4 cores


def test_explicit_choices_and_the_environment_win(machine, monkeypatch):
    machine["busy"] = 3.0
    assert choose_policy(wait_policy="default").wait == "default"
    assert choose_policy(threads=1, wait_policy="active").threads == 1
    machine["busy"] = 0.0
    monkeypatch.setenv("OMP_WAIT_POLICY", "PASSIVE")
    assert choose_policy().wait == "passive"
    with pytest.raises(ValueError, match="wait_policy='lazy'; rule: one of auto, default, passive, active"):
        choose_policy(wait_policy="lazy")
    with pytest.raises(ValueError, match="threads=0"):
        choose_policy(threads=0)


def test_busy_cores_counts_other_processes_only(monkeypatch):
    samples = iter([(100.0, 400.0), (250.0, 600.0)])  # 150 of 200 jiffies busy on a 4-core machine
    monkeypatch.setattr(threads, "_cpu_times", lambda: next(samples))
    monkeypatch.setattr(threads.os, "cpu_count", lambda: 4)
    clock = iter([10.0, 10.1])  # this process used 0.1 s of CPU in 0.2 s
    monkeypatch.setattr(threads.time, "process_time", lambda: next(clock))
    monkeypatch.setattr(threads.time, "sleep", lambda s: None)
    assert threads.busy_cores(0.2) == pytest.approx(0.75 * 4 - 0.5)


def _cpu_seconds_of(pid):
    """utime + stime of process ``pid`` in seconds, from /proc/<pid>/stat."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="needs /proc")
def test_busy_cores_sees_a_busy_process():
    """The reading counts at least what a spinning child used over the same window (other
    processes, such as parallel test workers, may add to it but cannot hide the child)."""
    import time

    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        start_cpu, start_wall = _cpu_seconds_of(spinner.pid), time.monotonic()
        busy = threads.busy_cores(0.5)
        spinner_cores = (_cpu_seconds_of(spinner.pid) - start_cpu) / (time.monotonic() - start_wall)
    finally:
        spinner.kill()
    if spinner_cores <= 0.3:  # a machine too loaded to give the child a core: nothing to see
        pytest.skip(f"the spinning child got {spinner_cores:.2f} cores; the reading needs it to run")
    assert busy is not None and busy >= spinner_cores - 0.2


def test_cli_sets_the_policy_before_torch_loads_and_records_it(tmp_path):
    code = (
        "import sys, json; from tsenas_pymoo.cli import build_parser, set_threads;"
        "args = build_parser().parse_args(sys.argv[1:]);"
        "loaded = 'torch' in sys.modules; applied = set_threads(args); import torch, os;"
        "print(json.dumps([loaded, applied, torch.get_num_threads(), os.environ.get('OMP_WAIT_POLICY')]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, "search", "--threads", "1", "--wait-policy", "passive"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    loaded, applied, torch_threads, env = json.loads(out)
    assert loaded is False and applied["before_torch"] is True and applied["wait_in_effect"] == "passive"
    assert (torch_threads, env) == (1, "PASSIVE")


def test_a_recorded_policy_is_what_a_resume_reuses():
    from tsenas_pymoo.threads import recorded_threads

    policy = ThreadPolicy(2, "passive", 2, 1, 1.5, "why")
    config = json.loads(json.dumps({"threads": None, "thread_policy": {"driver": policy.to_dict()}}))
    assert recorded_threads(config) == 2 and recorded_threads(config, "workers") is None
    config["threads"] = 3  # the user's own choice wins over the recorded policy
    assert recorded_threads(config) == 3


def test_a_run_directory_pins_its_thread_count():
    from tsenas_pymoo.threads import recorded_threads

    assert recorded_threads({"threads": 3, "thread_policy": {"driver": {"threads": 1}}}) == 3
    assert (
        recorded_threads(
            {"threads": None, "thread_policy": {"driver": {"threads": 1}, "workers": {"threads": 2}}}, "workers"
        )
        == 2
    )
    assert recorded_threads({"threads": None}) is None


def _python(code: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", "MKL_NUM_THREADS")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)


def test_an_evaluator_built_in_a_script_applies_the_clis_policy():
    code = (
        "import json, torch\n"
        "from tsenas_pymoo import TorchEvaluator, threads\n"
        "TorchEvaluator('digits', device='cpu', init_channels=4)\n"
        "print(json.dumps([threads._applied, torch.get_num_threads()]))"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    applied, now = json.loads(proc.stdout)
    assert applied is not None and applied["threads"] == now and applied["reason"]


@pytest.mark.skipif(threads.usable_cores() < 2, reason="one core: any thread count is the default")
def test_threads_a_script_chose_itself_are_left_alone():
    code = (
        "import json, torch\n"
        "torch.set_num_threads(1)\n"
        "from tsenas_pymoo import TorchEvaluator, threads\n"
        "TorchEvaluator('digits', device='cpu', init_channels=4)\n"
        "print(json.dumps([threads._applied, torch.get_num_threads()]))"
    )
    proc = _python(code)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == [None, 1]


def test_set_threads_before_torch_makes_idle_threads_sleep_and_after_it_warns_once():
    before = _python(
        "import json, os, tsenas_pymoo\n"
        "applied = tsenas_pymoo.set_threads(threads=2, wait_policy='passive')\n"
        "print(json.dumps([applied['wait_in_effect'], os.environ['OMP_WAIT_POLICY']]))"
    )
    assert before.returncode == 0 and json.loads(before.stdout) == ["passive", "PASSIVE"], before.stderr
    assert "spin" not in before.stderr
    after = _python(
        "import torch, tsenas_pymoo\n"
        "print(tsenas_pymoo.set_threads(threads=2, wait_policy='passive')['wait_in_effect'])"
    )
    assert after.returncode == 0 and after.stdout.strip() == "default", after.stderr
    warnings = [line for line in after.stderr.splitlines() if "torch was imported before" in line]
    assert len(warnings) == 1 and "OMP_WAIT_POLICY=PASSIVE" in warnings[0]
