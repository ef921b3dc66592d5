"""Fuzzed inputs: every file the CLI reads, corrupted by hypothesis, ends in one line.

A tiny finished search is made once; then, for each file the CLI reads, hypothesis draws
corruptions (truncations, bit flips, inserted bytes; for JSON: missing and extra fields,
wrong types, huge numbers, NaN, wrong nesting; for the archive: rows with such values;
for the weights: a wrong header length, a header with wrong shapes or dtypes) and the
command that reads the file runs in-process (``tsenas_pymoo.cli.main``). Each case must
end with exit 0 (the corruption left a valid file) or exit 2 with exactly one line on
stderr, never a traceback, and on exit 2 no file in the run directory may change.

    python benchmarks/reliability/fuzz.py --examples 200      # 6 files x 200 cases -> results/fuzz.json
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import io
import json
import math
import sqlite3
import struct
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common.py
from common import NO_SELECTION, RESULTS, ROOT, tsenas, write_result

sys.path.insert(0, str(ROOT))
from tests.tiny_search import search_args

TINY = search_args(stage1_gens=1, stage2_gens=1, supernet_epochs=0, seed=1)

#: file in the run directory -> the command that reads it
TARGETS = {
    "config.json": lambda run: ["search", "--resume", str(run), "-q"],
    "checkpoint.pkl": lambda run: ["search", "--resume", str(run), "-q"],
    "best_genotype.json": lambda run: ["describe", str(run / "best_genotype.json")],
    "log.jsonl": lambda run: ["plot", str(run)],
    "archive.sqlite": lambda run: ["show", str(run)],
    "final/weights.safetensors": lambda run: ["export", str(run), "--out", str(run.parent / "model.pt")],
}

ODD_VALUES = st.sampled_from(
    [None, "", "text", -1, 0, 10**30, -(10**30), 1.5, math.nan, math.inf, [], {}, [1, 2], {"a": 1}, True, "1e999"]
)


def make_run(workdir: Path) -> Path:
    run = workdir / "run"
    done = tsenas("search", "--out", str(run), *TINY, timeout=900)
    if done.returncode:
        raise RuntimeError(done.stderr[-2000:])
    return run


def snapshot(run: Path) -> dict[str, str]:
    """Hashes of the run directory's files (less the lock, and SQLite's -wal/-shm, which
    a mere read creates)."""
    return {
        str(p.relative_to(run)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(run.rglob("*"))
        if p.is_file() and not p.name.startswith(".run.") and not p.name.endswith(("-wal", "-shm"))
    }


def invoke(argv: list[str]) -> tuple[int, str]:
    """Run the CLI in this process: (exit code, stderr). An exception that escapes
    ``main`` is a traceback: returned as code -1 with its text."""
    from tsenas_pymoo.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 2
        except BaseException as exc:
            import traceback

            return -1, err.getvalue() + "".join(traceback.format_exception(exc))
    return int(code or 0), err.getvalue()


# -- corruptions --------------------------------------------------------------------------
def _json_mutation(data, draw):
    """One structural change somewhere in a JSON value."""
    if isinstance(data, dict) and data:
        key = draw(st.sampled_from(sorted(data)))
        action = draw(st.sampled_from(["drop", "odd", "deeper", "extra"]))
        data = dict(data)
        if action == "drop":
            del data[key]
        elif action == "odd":
            data[key] = draw(ODD_VALUES)
        elif action == "deeper":
            data[key] = _json_mutation(data[key], draw)
        else:
            data[draw(st.text(max_size=8))] = draw(ODD_VALUES)
        return data
    if isinstance(data, list) and data:
        i = draw(st.integers(0, len(data) - 1))
        data = list(data)
        data[i] = _json_mutation(data[i], draw) if draw(st.booleans()) else draw(ODD_VALUES)
        return data
    return draw(ODD_VALUES)


@st.composite
def byte_corruption(draw, original: bytes) -> bytes:
    kind = draw(st.sampled_from(["truncate", "flip", "insert", "empty"]))
    if kind == "empty" or not original:
        return b""
    i = draw(st.integers(0, len(original) - 1))
    if kind == "truncate":
        return original[:i]
    if kind == "flip":
        return original[:i] + bytes([original[i] ^ (1 << draw(st.integers(0, 7)))]) + original[i + 1 :]
    return original[:i] + draw(st.binary(min_size=1, max_size=16)) + original[i:]


@st.composite
def json_corruption(draw, original: bytes, lines: bool = False) -> bytes:
    if draw(st.integers(0, 3)) == 0:
        return draw(byte_corruption(original))
    if lines:
        rows = [json.loads(line) for line in original.decode().splitlines() if line.strip()]
        i = draw(st.integers(0, len(rows) - 1))
        rows[i] = _json_mutation(rows[i], draw)
        return "".join(json.dumps(r) + "\n" for r in rows).encode()
    return json.dumps(_json_mutation(json.loads(original), draw)).encode()


@st.composite
def safetensors_corruption(draw, original: bytes) -> bytes:
    (size,) = struct.unpack("<Q", original[:8])
    header, body = json.loads(original[8 : 8 + size]), original[8 + size :]
    kind = draw(st.sampled_from(["length", "shape", "dtype", "offsets", "bytes"]))
    if kind == "length":
        return struct.pack("<Q", draw(st.sampled_from([0, 1, size - 1, size + 1, 2**40, 2**64 - 1]))) + original[8:]
    if kind == "bytes":
        return draw(byte_corruption(original))
    name = draw(st.sampled_from(sorted(k for k in header if k != "__metadata__")))
    entry = dict(header[name])
    if kind == "shape":
        entry["shape"] = draw(st.lists(st.integers(0, 4096), max_size=5))
    elif kind == "dtype":
        entry["dtype"] = draw(st.sampled_from(["F16", "I64", "BOOL", "U8", "X9", ""]))
    else:
        entry["data_offsets"] = draw(st.lists(st.integers(-5, 10**9), max_size=3))
    header[name] = entry
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


def archive_corruption(run: Path, draw) -> None:
    """Rewrite one archive row with odd values (in place; restored by the caller)."""
    conn = sqlite3.connect(run / "archive.sqlite")
    try:
        columns = [r[1] for r in conn.execute("PRAGMA table_info(evaluations)")]
        keys = [r[0] for r in conn.execute("SELECT key FROM evaluations ORDER BY key")]
        column = draw(st.sampled_from(columns))
        value = draw(
            st.sampled_from(
                [
                    None,
                    "text",
                    -1,
                    10**18,
                    1.5,
                    float("nan"),
                    "{bad json",
                    "[]",
                    json.dumps({"free_inputs": [0], "cells": "x"}),
                ]
            )
        )
        key = draw(st.sampled_from(keys))
        with contextlib.suppress(sqlite3.IntegrityError), conn:  # a value the schema refuses: no change
            conn.execute(f"UPDATE evaluations SET {column} = ? WHERE key = ?", (value, key))
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the change is in the main file before the command runs
    finally:
        conn.close()


def corrupt(name: str, original: bytes, draw, run: Path) -> bytes | None:
    """The corrupted content of file ``name`` (None: corrupted in place, the archive)."""
    if name == "archive.sqlite":
        if draw(st.booleans()):
            archive_corruption(run, draw)
            return None
        return draw(byte_corruption(original))
    if name == "final/weights.safetensors":
        return draw(safetensors_corruption(original))
    if name == "checkpoint.pkl":
        from tsenas_pymoo.trust import seal, unseal

        _, payload = unseal(original)
        if draw(st.booleans()):
            return draw(byte_corruption(original))  # the signature no longer matches
        return seal(draw(byte_corruption(payload)))  # signed by this user, broken inside
    return draw(json_corruption(original, lines=name.endswith(".jsonl")))


# -- the harness --------------------------------------------------------------------------
def fuzz_file(run: Path, name: str, examples: int, seed: int = 0) -> dict:
    """Run ``examples`` corruptions of one file; returns counts and the failures."""
    path = run / name
    original = path.read_bytes()
    counts = {"cases": 0, "valid": 0, "one_line": 0, "failures": []}

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def case(data):
        before = snapshot(run)
        content = corrupt(name, original, data.draw, run)
        if content is not None:
            path.write_bytes(content)
        expected = snapshot(run)
        try:
            code, err = invoke(TARGETS[name](run))
            lines = [line for line in err.splitlines() if line.strip()]
            counts["cases"] += 1
            if code == 0:
                counts["valid"] += 1
            elif code == 2 and len(lines) == 1 and "Traceback" not in err and snapshot(run) == expected:
                counts["one_line"] += 1
            elif len(counts["failures"]) < 20:
                counts["failures"].append(
                    {
                        "code": code,
                        "stderr": err[-1500:],
                        "changed": sorted(k for k, v in snapshot(run).items() if expected.get(k) != v),
                    }
                )
        finally:
            gc.collect()  # no archive connection of the command may outlive its case
            for extra in ("archive.sqlite-wal", "archive.sqlite-shm"):
                (run / extra).unlink(missing_ok=True)
            path.write_bytes(original)
            for stray in set(snapshot(run)) - set(before):
                (run / stray).unlink(missing_ok=True)

    case()
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200, help="cases per file")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run = make_run(Path(tmp))
        files = {}
        for name in TARGETS:
            print(f"fuzzing {name}", flush=True)
            files[name] = fuzz_file(run, name, args.examples)
    total = sum(f["cases"] for f in files.values())
    failures = sum(len(f["failures"]) for f in files.values())
    out = {
        "splits": NO_SELECTION,
        "command": f"python benchmarks/reliability/fuzz.py --examples {args.examples}",
        "cases": total,
        "failures": failures,
        "files": files,
        "wall_seconds": time.perf_counter() - start,
    }
    write_result(RESULTS / "fuzz.json", out)
    for name, f in files.items():
        print(
            f"{name:28s} {f['cases']:5d} cases: {f['one_line']:5d} one line, {f['valid']:4d} still valid, "
            f"{len(f['failures'])} failures"
        )


if __name__ == "__main__":
    main()
