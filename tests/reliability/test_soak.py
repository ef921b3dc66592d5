"""Kill soak, short: a search killed at moments timed from its own start of work and inside
its archive, weights and checkpoint writes resumes to exactly an uninterrupted run's end,
and each kill's landing is recorded (benchmarks/reliability/soak.py runs 20 timed kills and
12 in writes, and 5 with --workers 2)."""

import importlib
from pathlib import Path

from tsenas_pymoo.testing.harness import TINY

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability" / "soak.py"
#: The tiny search's profile (what the kill moments are drawn over), roughly as traced.
PROFILE = {
    "work_seconds": 12.0,
    "median_seconds": {"archive_write": 0.0006, "weights_write": 0.0006, "checkpoint_write": 0.003},
}


def _soak():
    module = importlib.import_module("benchmarks.reliability.soak")
    return module


def test_a_search_killed_in_its_work_and_its_writes_resumes_to_the_same_end(tmp_path, tiny_reference):
    soak = _soak()
    result = soak.soak(
        tmp_path, kills=2, seed=11, extra=[], write_kills=3, options=TINY, reference=tiny_reference, prof=PROFILE
    )
    assert result["kills"] >= 4, result
    assert result["identical"], result
    assert {r["kind"] for r in result["records"]} >= {"timed", "archive_write"}
    assert all("open" in r and "in_write" in r for r in result["records"])
    assert result["in_writes"] >= 1, result["records"]  # a kill did land inside a write


def test_where_a_kill_landed_is_read_from_the_spans_its_processes_left_open(tmp_path):
    soak = _soak()
    trace = tmp_path / "trace"
    trace.write_text(
        "=work 1 1.0\n+generation 1 1.1\n+archive_write 1 1.2\n-archive_write 1 1.3\n"
        "+weights_write 1 1.4\n+generation 2 1.5\n-generation 2 1.6\n+archive_wr"  # the last line cut by the kill
    )
    rows = soak.read_trace(trace)
    assert soak.open_spans(rows, since=0.0) == ["generation", "weights_write"]
    assert soak.open_spans(rows, since=1.35) == ["weights_write"]
    prof = soak.profile(rows)
    assert prof["counts"] == {"archive_write": 1, "generation": 1}
    assert abs(prof["work_seconds"] - 0.6) < 1e-9 and abs(prof["median_seconds"]["archive_write"] - 0.1) < 1e-9


def test_the_schedule_spreads_timed_kills_over_the_work_and_covers_every_write():
    import numpy as np

    soak = _soak()
    plan = soak.schedule(np.random.default_rng(0), kills=20, write_kills=6, prof=PROFILE)
    timed = [seconds for kind, seconds, _ in plan if kind == "timed"]
    assert len(timed) == 20 and 0 < sum(timed) <= PROFILE["work_seconds"]
    writes = [kind for kind, _, _ in plan if kind != "timed"]
    assert sorted(writes) == sorted(soak.WRITES * 2)
    assert plan == soak.schedule(np.random.default_rng(0), kills=20, write_kills=6, prof=PROFILE)
