"""The fault harness: a tiny CLI search killed with SIGKILL at named fault points covering
every phase (``tsenas_pymoo/faults.py``), resumed with ``--resume``, and compared with an
uninterrupted run: the same best genome and accuracy, the same archive rows (key,
accuracy, status) and the same ``log.jsonl`` (all but the evaluator's counters
``archive_hits`` and ``trained``, which count this process's work).

``test_kill_anywhere.py`` runs the quick scenarios; ``benchmarks/reliability/`` runs all
of them (``fault_injection.py``) and the random-kill soak (``soak.py``) with it.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tsenas_pymoo.testing.tiny import search_args

TINY = search_args()
COUNTERS = ("archive_hits", "trained")
#: What a resumed run must share with the uninterrupted one (``same_end``) and keep of its own rows.
PARTS = ("best", "rows", "log", "files", "kept")


def scenarios(stage1_rows: int) -> list[tuple[str, str]]:
    """(phase, fault point) pairs; ``stage1_rows``: networks trained in stage 1."""
    return [
        ("SuperNet trained, not exported", "supernet:1"),
        ("generation 1: 2nd network trained, not archived", "trained:2"),
        ("generation 1: 3rd result archived", "archived:3"),
        ("Steps 1-4 store update, between units", "store:2"),
        ("retain: before old trained states go", "retain:2"),
        ("generation 1 logged, not checkpointed", "log:1"),
        ("generation 2 checkpointed", "checkpoint:2"),
        ("generation 3: mid-generation", f"trained:{stage1_rows - 1}"),
        ("stage 2: 2nd network trained", f"trained:{stage1_rows + 2}"),
        ("stage 2 logged, not checkpointed", "log:4"),
        ("final training done, no report", "final:1"),
        ("report written, no genotype or plots", "report:1"),
    ]


def cli(*args, fault: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.pop("TSENAS_FAULT", None)
    if fault:
        env["TSENAS_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", *args], capture_output=True, text=True, env=env, timeout=900
    )


def created(run: Path) -> dict[str, str]:
    """When each archived network was written: a row rewritten (retrained) changes it."""
    with contextlib.closing(sqlite3.connect(run / "archive.sqlite")) as conn:
        return dict(conn.execute("SELECT key, created FROM evaluations"))


def state(run: Path) -> dict:
    with contextlib.closing(sqlite3.connect(run / "archive.sqlite")) as conn:
        rows = {k: (a, s) for k, a, s in conn.execute("SELECT key, accuracy, status FROM evaluations")}
    log = [
        {k: v for k, v in json.loads(line).items() if k not in COUNTERS}
        for line in (run / "log.jsonl").read_text().splitlines()
    ]
    summary = json.loads((run / "summary.json").read_text())
    return {
        "rows": rows,
        "log": log,
        "best": (summary["best_genome"], summary["best_val_accuracy"]),
        "files": all(
            (run / f).exists() for f in ("best_genotype.json", "final/weights.safetensors", "convergence.png")
        ),
    }


def same_end(got: dict, expected: dict) -> dict[str, bool]:
    """Per part, whether a resumed run ended as the uninterrupted one: the same best, archive
    rows and log, and both with their end files (two runs that both lack them differ from
    a finished run, so they do not count as the same end)."""
    return {k: got[k] == expected[k] for k in ("best", "rows", "log")} | {"files": got["files"] and expected["files"]}


#: The kill points CI runs (the SuperNet, the log/checkpoint boundary, stage 2; a kill
#: mid-training is test_runner's SIGKILL test, the final phase test_no_room's); the
#: benchmark runs all twelve.
QUICK = (
    "SuperNet trained, not exported",
    "generation 1 logged, not checkpointed",
    "stage 2: 2nd network trained",
)


def reference_run(folder: Path, options: list[str] = TINY) -> Path:
    """An uninterrupted search into ``folder``: what every killed run must end as."""
    done = cli("search", "--out", str(folder), *options)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return folder


def run_all(workdir: Path, quick: bool = False, reference: Path | None = None) -> list[dict]:
    """The scenarios against ``reference`` (a finished TINY search; run here when None)."""
    reference = reference or reference_run(workdir / "reference")
    expected = state(reference)
    with contextlib.closing(sqlite3.connect(reference / "archive.sqlite")) as conn:
        stage1_rows = conn.execute("SELECT COUNT(*) FROM evaluations WHERE generation <= 3").fetchone()[0]
    chosen = [(phase, fault) for phase, fault in scenarios(stage1_rows) if not quick or phase in QUICK]
    # the scenarios are independent (a run directory each, one thread a search): two at a time
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda pf: _scenario(workdir, *pf, expected), chosen))


def _scenario(workdir: Path, phase: str, fault: str, expected: dict) -> dict:
    run = workdir / fault.replace(":", "_")
    killed = cli("search", "--out", str(run), *TINY, fault=fault)
    row = {"phase": phase, "fault": fault, "killed": killed.returncode == -9}
    before = created(run) if (run / "archive.sqlite").exists() else {}
    resumed = (
        cli("search", "--resume", str(run), "-q")
        if (run / "config.json").exists()
        else cli("search", "--out", str(run), *TINY)
    )
    row["resumed_ok"] = resumed.returncode == 0
    if resumed.returncode:
        row["error"] = resumed.stderr[-500:]
    else:
        row.update(same_end(state(run), expected))
        after = created(run)
        row["kept"] = all(after.get(k) == v for k, v in before.items())  # nothing lost, nothing retrained
    row["identical"] = row["killed"] and row["resumed_ok"] and all(row.get(k) for k in PARTS)
    return row


def print_table(table: list[dict]) -> None:
    print(f"{'phase':48s} {'kill point':14s} killed  identical")
    for r in table:
        print(
            f"{r['phase']:48s} {r['fault']:14s} {'yes' if r['killed'] else 'NO':6s}  "
            f"{'yes' if r['identical'] else 'NO ' + str({k: r.get(k) for k in PARTS})}"
        )
