"""Kill soak: one search SIGKILLed again and again, each time where it was recorded to land,
resumed after each, and compared with an uninterrupted run.

Every (re)started search runs with ``TSENAS_TRACE`` (``tsenas_pymoo/faults.py``): it marks
the start of its own work (``=work``, after Python, torch and the data are loaded) and
writes a line on entering and leaving each span (``archive_write``, ``weights_write``,
``checkpoint_write``, ``generation``, ``supernet``, ``final``). Two kinds of kill, in an
order shuffled by the seed:

* **timed**: at a moment measured from that process's own ``=work`` mark. The moments are
  sorted uniform draws over the reference run's work time, so the kills spread over the
  whole run; the process group is killed (as a batch scheduler does), workers included;
* **in a write**: ``TSENAS_FAULT=SPAN:K@S`` makes the process kill itself S seconds after
  entering its K-th ``SPAN`` (S uniform over the span's median duration in the
  reference), so the kill lands inside the SQLite row, safetensors file or checkpoint
  being written, or just after it.

After each kill the spans its process left open say where it landed (recorded per kill,
with the temporary files it left). After the last kill the search runs to its end and is
compared with the uninterrupted run: best genome and accuracy, every archive row (key,
accuracy, status), ``log.jsonl`` (less the process's own counters) and the end files. A
kill that found the search already finished does not count.

    python -m benchmarks.reliability.soak          # 20 timed + 12 in-write kills, then 5 with --workers 2
    python -m benchmarks.reliability.soak --kills 5 --write-kills 3 --workers-kills 0
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from benchmarks.common import NO_SELECTION, RESULTS, write_result
from tsenas_pymoo.rundir import TEMPORARY
from tsenas_pymoo.testing import harness as fault_injection
from tsenas_pymoo.testing.tiny import search_args

TINY = search_args(stage1_gens=8, stage2_gens=4, seed=7)
#: The writes a kill must reach: the archive's rows, the weights, the checkpoint.
WRITES = ("archive_write", "weights_write", "checkpoint_write")
#: How a killed search ends: SIGKILL (timed kills), SIGALRM at its default action (kills in a write).
KILLED = (-signal.SIGKILL, -signal.SIGALRM)


# -- the trace ------------------------------------------------------------------------------
def read_trace(path: Path) -> list[tuple[str, str, int, float]]:
    """(sign, span, pid, time) per whole line of a trace (a line cut by the kill is dropped)."""
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and line[:1] in "+-=":
            with contextlib.suppress(ValueError):
                rows.append((line[0], parts[0][1:], int(parts[1]), float(parts[2])))
    return rows


def open_spans(rows: list[tuple[str, str, int, float]], since: float) -> list[str]:
    """The spans entered and not left by the lines written from ``since`` on, outermost
    first (every process, workers included): where a kill landed."""
    stacks: dict[int, list[str]] = {}
    for sign, name, pid, t in rows:
        if t < since:
            continue
        stack = stacks.setdefault(pid, [])
        if sign == "+":
            stack.append(name)
        elif sign == "-" and name in stack:
            del stack[len(stack) - 1 - stack[::-1].index(name)]
    return [name for stack in stacks.values() for name in stack]


def profile(rows: list[tuple[str, str, int, float]]) -> dict:
    """The reference run's work time (its ``=work`` mark to its last line) and each span's
    median duration and count: what the kill moments are drawn over."""
    work = [t for sign, name, _, t in rows if sign == "=" and name == "work"]
    entered: dict[tuple[int, str], float] = {}
    durations: dict[str, list[float]] = {}
    for sign, name, pid, t in rows:
        if sign == "+":
            entered[(pid, name)] = t
        elif sign == "-" and (pid, name) in entered:
            durations.setdefault(name, []).append(t - entered.pop((pid, name)))
    return {
        "work_seconds": rows[-1][3] - work[0],
        "median_seconds": {k: statistics.median(v) for k, v in durations.items()},
        "counts": {k: len(v) for k, v in durations.items()},
    }


# -- one process ----------------------------------------------------------------------------
def _start(args: list[str], trace: Path, fault: str | None = None) -> subprocess.Popen:
    env = dict(os.environ, TSENAS_TRACE=str(trace))
    env.pop("TSENAS_FAULT", None)
    if fault:
        env["TSENAS_FAULT"] = fault
    return subprocess.Popen(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def work_started(trace: Path, proc: subprocess.Popen, timeout: float = 300.0) -> float | None:
    """When ``proc`` marked the start of its work (None: it ended or never did)."""
    end = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < end:
        for sign, name, pid, t in read_trace(trace):
            if sign == "=" and name == "work" and pid == proc.pid:
                return t
        time.sleep(0.02)
    return None


def _kill_group(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def one_kill(run: Path, trace: Path, args: list[str], kind: str, when: float, count: int) -> dict | None:
    """Start the search, kill it (``kind``: ``timed``, ``when`` seconds after its work
    starts; or a span of WRITES, ``when`` seconds into its ``count``-th entry) and say where
    it landed; None when the search ended first (the error, if it failed)."""
    begun = time.time()
    fault = None if kind == "timed" else f"{kind}:{count}@{when:.6f}"
    proc = _start(args, trace, fault)
    started = work_started(trace, proc)
    if kind == "timed" and started is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=max(0.0, started + when - time.time()))
    else:
        proc.wait()
    if proc.poll() is not None and proc.returncode not in KILLED:
        if proc.returncode:
            return {"error": proc.stderr.read()[-2000:]}
        return None
    _kill_group(proc)  # a self-kill leaves the group's workers: they go too
    landed = open_spans(read_trace(trace), since=begun)
    return {
        "kind": kind,
        "seconds" if kind == "timed" else "delay_in_span": round(when, 6),
        **({} if kind == "timed" else {"entry": count}),
        "open": landed,
        "in_write": next((w for w in reversed(landed) if w in WRITES), None),
        "temporaries": sorted(p.name for p in run.rglob("*") if TEMPORARY.match(p.name)),
    }


def schedule(rng: np.random.Generator, kills: int, write_kills: int, prof: dict) -> list[tuple[str, float, int]]:
    """(kind, seconds, entry) per kill: ``kills`` timed at gaps between sorted uniform draws
    over the work time, ``write_kills`` spread over WRITES, shuffled together."""
    moments = np.sort(rng.uniform(0.0, prof["work_seconds"], size=kills))
    plan = [("timed", float(gap), 0) for gap in np.diff(moments, prepend=0.0)]
    for i in range(write_kills):
        span = WRITES[i % len(WRITES)]
        median = prof["median_seconds"].get(span, 0.001)
        plan.append((span, float(rng.uniform(0.0, median)), int(rng.integers(1, 4))))
    order = rng.permutation(len(plan))
    return [plan[i] for i in order]


def soak(
    workdir: Path,
    kills: int,
    seed: int,
    extra: list[str],
    write_kills: int = 0,
    options: list[str] = TINY,
    reference: Path | None = None,
    prof: dict | None = None,
) -> dict:
    """Kill one search ``kills`` times (timed) and ``write_kills`` times (in writes) as
    :func:`schedule` draws from ``seed``; compare with a whole run. ``options``: the search;
    ``reference``: a finished run of the same options and ``extra``, and ``prof`` its
    :func:`profile` (both made here, traced, when None)."""
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    if reference is None:
        reference, trace = workdir / "reference", workdir / "reference.trace"
        proc = _start(["search", "--out", str(reference), *options, *extra], trace)
        if proc.wait():
            raise RuntimeError(proc.stderr.read()[-2000:])
        prof = profile(read_trace(trace))
    reference_s = time.perf_counter() - start
    run, trace = workdir / "soaked", workdir / "soaked.trace"
    rng = np.random.default_rng(seed)
    records = []
    for kind, when, count in schedule(rng, kills, write_kills, prof):
        args = (
            ["search", "--resume", str(run), "-q"]
            if (run / "config.json").exists()
            else ["search", "--out", str(run), *options, *extra]
        )
        record = one_kill(run, trace, args, kind, when, count)
        if record is None:
            break  # the search ended before this kill: the remaining kills cannot land
        if "error" in record:
            return {"error": record["error"], "kills": records}
        records.append(record)
    final = fault_injection.cli("search", "--resume", str(run), "-q")
    result = {
        "kills": len(records),
        "in_writes": sum(r["in_write"] is not None for r in records),
        "landed": dict(Counter(r["in_write"] or (r["open"][-1] if r["open"] else "outside spans") for r in records)),
        "records": records,
        "profile": prof,
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
    parser.add_argument("--kills", type=int, default=20, help="timed kills")
    parser.add_argument("--write-kills", type=int, default=12, help="kills inside archive, weights, checkpoint writes")
    parser.add_argument("--workers-kills", type=int, default=5, help="timed kills of a search with --workers 2")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    out = {"splits": NO_SELECTION, "seed": args.seed, "cores": len(os.sched_getaffinity(0))}
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        out["serial"] = soak(Path(tmp) / "serial", args.kills, args.seed, [], write_kills=args.write_kills)
        print(json.dumps({k: v for k, v in out["serial"].items() if k != "records"}), flush=True)
        if args.workers_kills:
            out["workers"] = soak(Path(tmp) / "workers", args.workers_kills, args.seed + 1, ["--workers", "2"])
            print(json.dumps({k: v for k, v in out["workers"].items() if k != "records"}), flush=True)
    out["wall_seconds"] = time.perf_counter() - start
    write_result(RESULTS / "soak.json", out)


if __name__ == "__main__":
    main()
