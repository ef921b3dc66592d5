"""Random-kill soak: one search killed with SIGKILL at random moments, resumed after each.

Where ``fault_injection.py`` kills at named points, this kills at moments drawn from a
seed: the delay after each (re)started search has written its config.json (Python's and
torch's own start-up take seconds on a loaded machine, and a kill there leaves nothing to
resume) is uniform between ``--min-delay`` and ``--max-delay`` seconds, so kills land
during data loading, training, SQLite writes, safetensors writes, checkpointing and
Dask's start and shutdown alike. The whole process
group is killed (as a batch scheduler does), workers included. After the last kill the
search runs to its end and is compared with an uninterrupted run: best genome and
accuracy, every archive row (key, accuracy, status), ``log.jsonl`` (less the process's
own counters) and the files written at the end. A kill that found the search already
finished does not count.

    python benchmarks/reliability/soak.py                         # 20 kills, then 5 with --workers 2
    python benchmarks/reliability/soak.py --kills 5 --workers-kills 0
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common.py
from common import NO_SELECTION, RESULTS, ROOT, write_result

sys.path.insert(0, str(ROOT))
from tests.reliability import harness as fault_injection
from tests.tiny_search import search_args

TINY = search_args(stage1_gens=8, stage2_gens=4, seed=7)


def _start(args: list[str]) -> subprocess.Popen:
    env = dict(os.environ)
    env.pop("TSENAS_FAULT", None)
    return subprocess.Popen(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def started(run: Path, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    """Wait until the search has started (its config.json exists) or ended: a random kill
    then lands in its work, not in Python's and torch's start-up, which takes seconds on a
    loaded machine and would leave nothing to resume."""
    end = time.monotonic() + timeout
    while not (run / "config.json").exists() and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)


def soak(
    workdir: Path,
    kills: int,
    seed: int,
    extra: list[str],
    min_delay: float,
    max_delay: float,
    options: list[str] = TINY,
    reference: Path | None = None,
) -> dict:
    """Kill one search ``kills`` times at seeded random moments; compare with a whole run.
    ``options``: the search (long enough that the kills land before it ends);
    ``reference``: a finished run of the same options and ``extra`` (run here when None)."""
    start = time.perf_counter()
    if reference is None:
        reference = fault_injection.reference_run(workdir / "reference", [*options, *extra])
    reference_s = time.perf_counter() - start
    run = workdir / "soaked"
    rng = np.random.default_rng(seed)
    delays, landed, attempts = [], 0, 0
    while landed < kills and attempts < 10 * kills:
        attempts += 1
        args = (
            ["search", "--resume", str(run), "-q"]
            if (run / "config.json").exists()
            else ["search", "--out", str(run), *options, *extra]
        )
        proc = _start(args)
        started(run, proc)
        delay = float(rng.uniform(min_delay, max_delay))
        try:
            proc.wait(timeout=delay)
            finished = True
        except subprocess.TimeoutExpired:
            finished = False
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            landed += 1
            delays.append(round(delay, 2))
        if finished:
            if proc.returncode != 0:
                return {"error": proc.stderr.read()[-2000:], "kills": landed, "delays": delays}
            break  # the search ended before this kill: the remaining kills cannot land
    final = fault_injection.cli("search", "--resume", str(run), "-q")
    result = {
        "kills": landed,
        "attempts": attempts,
        "delays": delays,
        "reference_seconds": reference_s,
        "resumed_ok": final.returncode == 0,
        "options": options + extra,
    }
    if final.returncode:
        result["error"] = final.stderr[-2000:]
        return result
    got, expected = fault_injection.state(run), fault_injection.state(reference)
    result.update(fault_injection.same_end(got, expected))
    result["identical"] = all(result[k] for k in ("best", "rows", "log", "files"))
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--workers-kills", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--min-delay", type=float, default=1.0)
    parser.add_argument("--max-delay", type=float, default=6.0)
    args = parser.parse_args(argv)
    out = {
        "splits": NO_SELECTION,
        "command": "python benchmarks/reliability/soak.py " + " ".join(argv or sys.argv[1:]),
        "seed": args.seed,
        "cores": len(os.sched_getaffinity(0)),
    }
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out["serial"] = soak(Path(tmp) / "serial", args.kills, args.seed, [], args.min_delay, args.max_delay)
        print(json.dumps(out["serial"]), flush=True)
        if args.workers_kills:
            out["workers"] = soak(
                Path(tmp) / "workers",
                args.workers_kills,
                args.seed + 1,
                ["--workers", "2"],
                args.min_delay + 4,
                args.max_delay + 8,
            )  # Dask start-up takes seconds
            print(json.dumps(out["workers"]), flush=True)
    out["wall_seconds"] = time.perf_counter() - start
    write_result(RESULTS / "soak.json", out)


if __name__ == "__main__":
    main()
