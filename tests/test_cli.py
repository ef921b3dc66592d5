import subprocess
import sys

from tsenas_pymoo.cli import main
from tsenas_pymoo.testing.tiny import search_args


def test_describe_reports_cost(capsys):
    assert main(["describe", "3", "7", "3", "--init-channels", "4"]) == 0
    out = capsys.readouterr().out
    assert "DARTS reduction" in out and "params" in out and "FLOPs" in out


def run(*args):
    return subprocess.run([sys.executable, "-m", "tsenas_pymoo.cli", *args], capture_output=True, text=True)


def test_bad_input_is_one_line_and_exit_2():
    proc = run("describe", "3", "9")
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "tsenas describe: error: cell 2: cell code 9 is out of range; rule: codes are 1-8 (Table II)"
    ]
    proc = run("describe", "3", "--input-shape", "8x8")
    assert proc.returncode == 2 and "CxHxW" in proc.stderr and "Traceback" not in proc.stderr


def test_help():
    assert run("--help").returncode == 0 and run("describe", "--help").returncode == 0
    search = run("search", "--help")
    assert search.returncode == 0 and "--objectives error|error,params|error,macs|error,flops" in search.stdout
    assert "{error,error,params" not in search.stdout


def test_version_and_quiet_import():
    from tsenas_pymoo import __version__

    proc = run("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"tsenas {__version__}"
    # importing the package (plotting included) leaves the matplotlib backend as the user set it
    # and the plotting functions load no torch (the algorithm does, and still leaves the backend)
    code = (
        "import matplotlib, sys; matplotlib.use('svg'); import tsenas_pymoo, tsenas_pymoo.plotting; "
        "from tsenas_pymoo import plot_convergence; print(matplotlib.get_backend(), 'torch' in sys.modules); "
        "from tsenas_pymoo import TSENAS; print(matplotlib.get_backend(), 'torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["svg", "False", "svg", "True"]


def test_describe_a_genotype_file(tmp_path, capsys):
    import numpy as np

    from tsenas_pymoo import NetworkGenome, save_genotype
    from tsenas_pymoo.operators.fine import prune_fine

    genome = prune_fine(NetworkGenome.from_cells([3, 7, 3]).expand(), np.random.default_rng(0))
    path = save_genotype(tmp_path / "best_genotype.json", genome, (1, 16, 16), 10, 4)
    assert main(["describe", str(path)]) == 0
    out = capsys.readouterr().out
    assert genome.key() in out and "edited in stage 2" in out and "pruned" in out and "1x16x16" in out
    proc = run("describe", "3", "x7")
    assert proc.returncode == 2 and "rule: Table II cell codes 1-8, or one genotype .json file" in proc.stderr


def test_search_flags_are_generated_from_search_config():
    import dataclasses

    from tsenas_pymoo.cli import build_parser
    from tsenas_pymoo.config import SearchConfig

    search = build_parser()._subparsers._group_actions[0].choices["search"]
    flags = {a.dest: a.default for a in search._actions}
    for f in dataclasses.fields(SearchConfig):  # every setting is a flag, with the config's default
        assert f.name in flags and flags[f.name].value == f.default, f.name


def test_bad_files_get_one_line_naming_the_rule(tmp_path):
    import json

    (tmp_path / "log.jsonl").write_text("")
    proc = run("plot", str(tmp_path))
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "log.jsonl is empty" in proc.stderr
    from tsenas_pymoo import NetworkGenome, save_genotype

    path = save_genotype(tmp_path / "g.json", NetworkGenome.from_cells([3, 7]), (1, 8, 8), 10, 4)
    data = json.loads(path.read_text())
    data["cells"][0]["nodes"][0]["ops"][0] = "teleport_3x3"
    (tmp_path / "op.json").write_text(json.dumps(data))
    proc = run("describe", str(tmp_path / "op.json"))
    assert proc.returncode == 2 and "unknown op 'teleport_3x3'; rule: one of identity," in proc.stderr
    del data["input_shape"]
    (tmp_path / "shape.json").write_text(json.dumps(data))
    proc = run("describe", str(tmp_path / "shape.json"))
    assert proc.returncode == 2 and "missing input_shape" in proc.stderr and "Traceback" not in proc.stderr
    assert "Traceback" in run("--debug", "describe", str(tmp_path / "shape.json")).stderr


def test_ctrl_c_exits_130_and_the_search_resumes(tmp_path):
    import signal
    import time

    out = tmp_path / "run"
    # enough generations after the first log line that Ctrl-C lands mid-search on a loaded machine
    args = search_args(stage1_gens=5, stage2_gens=1, seed=None, batch_size=None, threads=None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--out", str(out), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # as from a terminal: a shell that starts the tests in the background (cmd &) leaves SIGINT
        # ignored, and an ignored signal stays ignored in every child
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.time() + 300
    while time.time() < deadline and not ((out / "log.jsonl").exists() and (out / "log.jsonl").read_text()):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130 and f"interrupted; continue with tsenas search --resume {out}" in err
    assert "Traceback" not in err and len((out / "log.jsonl").read_text().splitlines()) < 7  # cut: 1 + 5 + 1 lines
    resumed = run("search", "--resume", str(out), "-q")
    assert resumed.returncode == 0 and (out / "summary.json").exists()
    assert resumed.stdout.splitlines()[-1] == f"read the pick  tsenas describe {out / 'best_genotype.json'}"


def test_the_resume_hint_after_ctrl_c_starts_its_own_line_below_a_bar(tmp_path, monkeypatch, capsys):
    import sys as _sys

    from tqdm.auto import tqdm

    import tsenas_pymoo.cli as cli

    def interrupted(args):
        bar = tqdm(total=10, desc="generations", file=_sys.stderr)
        bar.update(3)
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "search", interrupted)
    monkeypatch.setattr(cli, "set_threads", lambda args: None)
    try:
        main(["search", "--out", str(tmp_path / "run")])
    except SystemExit as stop:
        assert stop.code == 130
    err = capsys.readouterr().err
    hint = f"tsenas search: interrupted; continue with tsenas search --resume {tmp_path / 'run'}"
    assert hint in err.replace("\r", "\n").split("\n"), err  # a line of its own, not glued to the bar's


def test_a_search_says_its_plan_at_the_start_and_its_pace_after_the_first_generation(tmp_path):
    args = search_args(quiet=False, stage1_gens=1, stage2_gens=1, supernet_epochs=0)
    done = run("search", "--out", str(tmp_path / "run"), *args)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stderr.replace("\r", "\n").splitlines()
    plan = "tsenas: plan: up to 14 networks to train (stage 1 P x (1 + T0) = 4 x 2 = 8, stage 2 T1 x 3S = 1 x 6 = 6)"
    assert lines[0] == plan
    assert any(line.startswith("tsenas: pace: 4 networks trained in ") for line in lines), done.stderr[-2000:]
