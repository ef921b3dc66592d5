"""Fuzzed inputs: every file the CLI reads, corrupted by hypothesis, ends in one line.

A tiny finished search is made once; then, for each file the CLI reads, hypothesis draws
corruptions (truncations, bit flips, inserted bytes; for JSON: missing and extra fields,
wrong types, huge numbers, NaN, wrong nesting; for the archive: rows with such values;
for the weights: a wrong header length, a header with wrong shapes or dtypes) and the
command that reads the file runs in-process (``tsenas_pymoo.cli.main``). Each case must
end with exit 0 (the corruption left a valid file) or exit 2 with exactly one line on
stderr, never a traceback, and on exit 2 no file in the run directory may change.

config.json is also fuzzed field by field (``fuzz_config``): every key it holds gets values
of each kind (a wrong type, NaN, an infinity, a huge number, a negative number, a string
in a wrong format, the key missing), drawn from the seed; the file is then signed by this
user (as ``tsenas trust`` would), so the case reaches the parser instead of stopping at
the signature, and resumed from a run that still has work to do (killed after its first
checkpoint). A case ends in one line with exit 2 and no file changed, or in exit 0 with
the expected result: the uninterrupted run's end when the settings read are those it ran
with, else a finished run that kept every row and log line it had.

    python -m benchmarks.reliability.fuzz --examples 40 --per-kind 3   # -> results/fuzz.json
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import io
import json
import math
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from benchmarks.common import NO_SELECTION, RESULTS, tsenas, write_result
from tsenas_pymoo.testing.tiny import search_args

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


def make_unfinished(workdir: Path, options: list[str] = TINY) -> Path:
    """The search of ``options`` killed after its first checkpoint: a resume target with
    work left (for TINY: stage 2 and the final training)."""
    import os
    import subprocess

    run = workdir / "unfinished"
    env = dict(os.environ, TSENAS_FAULT="checkpoint:1")
    subprocess.run(
        [sys.executable, "-m", "tsenas_pymoo.cli", "search", "--out", str(run), *options],
        env=env,
        capture_output=True,
        timeout=900,
    )
    if not (run / "checkpoint.pkl").exists():
        raise RuntimeError(f"{run}: no checkpoint after the kill")
    return run


def restore(run: Path, pristine: Path) -> None:
    shutil.rmtree(run, ignore_errors=True)
    shutil.copytree(pristine, run)


# -- a resumed case's expected end ----------------------------------------------------------
def settings_read(run: Path) -> dict | None:
    """The settings ``run``'s config.json gives (every ``SearchConfig`` field), or None if
    refused. A case whose settings equal the pristine run's must end as the uninterrupted
    run did; any other (threads too: sums over other thread counts may round otherwise)
    must finish keeping what it had."""
    from tsenas_pymoo.config import SearchConfig

    try:
        return vars(SearchConfig.from_json(run / "config.json").validate())
    except (ValueError, TypeError, OSError):
        return None


def rows_and_log(run: Path) -> dict:
    """``run``'s archive rows (key, accuracy, status) and log lines (less the counters)."""
    with contextlib.closing(sqlite3.connect(run / "archive.sqlite")) as conn:  # closed: no -shm left to race a copy
        rows = {k: (a, s) for k, a, s in conn.execute("SELECT key, accuracy, status FROM evaluations")}
    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return {"rows": rows, "log": [{k: v for k, v in r.items() if k not in ("archive_hits", "trained")} for r in log]}


def resumed_as_expected(run: Path, before: dict, expected: dict, same_settings: bool) -> str | None:
    """None when a resume that exited 0 ended as expected, else what differs: with the
    settings the run was made with, the uninterrupted run's end (``expected``: harness
    ``state``); with others, a finished run that kept every row and log line it had
    (``before``: its rows and log before the resume)."""
    from tsenas_pymoo.testing.harness import same_end, state

    try:
        got = state(run)
    except (OSError, ValueError, KeyError, sqlite3.Error) as err:
        return f"no finished run ({type(err).__name__}: {err})"
    if same_settings:
        differs = [k for k, same in same_end(got, expected).items() if not same]
        return f"differs from the uninterrupted run in {differs}" if differs else None
    lost = [k for k, v in before["rows"].items() if got["rows"].get(k) != v]
    if lost or got["log"][: len(before["log"])] != before["log"] or not got["files"]:
        return f"lost rows {lost[:3]} or log lines, or no end files"
    return None


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


# -- config.json, field by field -----------------------------------------------------------
MISSING = object()
#: Per kind of case, the values a field's cases are drawn from.
FIELD_KINDS = {
    "type": [None, True, False, [], {}, [1, 2], {"a": 1}, "4", 4, 0.25],
    "nan": [math.nan],
    "infinity": [math.inf, -math.inf],
    "huge": [10**30, -(10**30), 2**63, 2**64 + 1, 1e300, 1e19],
    "negative": [-1, -2, -(10**9), -0.5, -1e-9],
    "format": [
        "",
        "text",
        "1e999",
        "NaN",
        "-1",
        "\u00e9\u00e8",
        "\x1b[2Jsigned: yours",
        "4 ",
        "0x10",
        "../../x",
        "a" * 5000,
    ],
    "missing": [MISSING],
}


def field_cases(config: dict, per_kind: int, seed: int) -> list[tuple[str, str, object]]:
    """(field, kind, value) cases: for every key of ``config``, ``per_kind`` values of each
    kind drawn without replacement (all of a kind with fewer)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    return [
        (field, kind, pool[int(i)])
        for field in sorted(config)
        for kind, pool in FIELD_KINDS.items()
        for i in rng.permutation(len(pool))[:per_kind]
    ]


def config_case(run: Path, pristine: Path, field: str, value, expected: dict, before: dict) -> dict:
    """One case: set (or drop) ``field``, sign, resume; the outcome and, on a failure, why."""
    from tsenas_pymoo.trust import sign_manifest

    restore(run, pristine)
    data = json.loads((run / "config.json").read_text())
    if value is MISSING:
        data.pop(field, None)
    else:
        data[field] = value
    (run / "config.json").write_text(json.dumps(data))
    sign_manifest(run)  # as `tsenas trust --yes` would: the case reaches the parser
    settings_now = settings_read(run)
    same_settings = settings_now is not None and settings_now == settings_read(pristine)
    files = snapshot(run)
    code, err = invoke(["search", "--resume", str(run), "-q"])
    lines = [line for line in err.splitlines() if line.strip()]
    gc.collect()
    if code == 0:
        why = resumed_as_expected(run, before, expected, same_settings)
        return {"outcome": "resumed" if why is None else "failure", "why": why, "same_settings": same_settings}
    if code == 2 and len(lines) == 1 and "Traceback" not in err and snapshot(run) == files:
        return {"outcome": "one_line", "line": lines[0][:200]}
    changed = sorted(k for k, v in snapshot(run).items() if files.get(k) != v)
    return {
        "outcome": "failure",
        "code": code,
        "why": f"exit {code}, {len(lines)} lines, changed {changed}",
        "stderr": err[-1500:],
    }


def fuzz_config(
    workdir: Path, pristine: Path, reference: Path, per_kind: int, seed: int = 0, fields: tuple[str, ...] = ()
) -> dict:
    """Every field of ``pristine``'s config.json (or those of ``fields``) through
    :func:`field_cases`; counts per field and kind, and the failures (the first 30 in full).
    ``reference``: the uninterrupted run of the same settings."""
    from tsenas_pymoo.testing.harness import state

    expected = state(reference)
    before = rows_and_log(pristine)
    config = json.loads((pristine / "config.json").read_text())
    cases = field_cases({k: v for k, v in config.items() if not fields or k in fields}, per_kind, seed)
    run = workdir / "config_case"
    per_field: dict[str, dict[str, int]] = {}
    per_kind_counts: dict[str, dict[str, int]] = {}
    failures = []
    from tqdm.auto import tqdm

    for field, kind, value in tqdm(cases, desc="config.json fields", unit="case", mininterval=5):
        result = config_case(run, pristine, field, value, expected, before)
        for table, name in ((per_field, field), (per_kind_counts, kind)):
            row = table.setdefault(name, {"cases": 0, "one_line": 0, "resumed": 0, "failure": 0})
            row["cases"] += 1
            row[result["outcome"]] += 1
        if result["outcome"] == "failure":
            failures.append({"field": field, "kind": kind, "value": repr(value)[:80], **result})
    return {
        "cases": len(cases),
        "one_line": sum(r["one_line"] for r in per_field.values()),
        "resumed": sum(r["resumed"] for r in per_field.values()),
        "failures": len(failures),
        "tracebacks": sum(f.get("code") == -1 for f in failures),  # an exception escaped the CLI
        "per_kind": per_kind_counts,
        "per_field": per_field,
        "failed": failures[:30],
    }


# -- the harness --------------------------------------------------------------------------
def fuzz_file(run: Path, name: str, examples: int, seed: int = 0, pristine: Path | None = None) -> dict:
    """Run ``examples`` corruptions of one file; returns counts and the failures.
    ``pristine``: ``run`` is a resume target with work left, restored from this copy after
    each case; a case that resumes must finish keeping every row and log line it had."""
    path = run / name
    original = path.read_bytes()
    had = None if pristine is None else rows_and_log(pristine)
    counts = {"cases": 0, "valid": 0, "one_line": 0, "failed": 0, "tracebacks": 0, "failures": []}

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
            why = None if code or had is None else resumed_as_expected(run, had, {}, same_settings=False)
            if code == 0 and why is None:
                counts["valid"] += 1
            elif code == 2 and len(lines) == 1 and "Traceback" not in err and snapshot(run) == expected:
                counts["one_line"] += 1
            else:
                counts["failed"] += 1
                counts["tracebacks"] += code == -1  # an exception escaped the CLI
            if counts["failed"] > len(counts["failures"]) and len(counts["failures"]) < 20:  # the first 20 in full
                counts["failures"].append(
                    {
                        "code": code,
                        "why": why,
                        "stderr": err[-1500:],
                        "changed": sorted(k for k, v in snapshot(run).items() if expected.get(k) != v),
                    }
                )
        finally:
            gc.collect()  # no archive connection of the command may outlive its case
            if pristine is not None:
                restore(run, pristine)
            else:
                for extra in ("archive.sqlite-wal", "archive.sqlite-shm"):
                    (run / extra).unlink(missing_ok=True)
                path.write_bytes(original)
                for stray in set(snapshot(run)) - set(before):
                    (run / stray).unlink(missing_ok=True)

    case()
    return counts


#: The files read by a resume, fuzzed in a run that still has work to do.
RESUMED = ("config.json", "checkpoint.pkl")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=40, help="corruptions per file")
    parser.add_argument("--per-kind", type=int, default=3, help="config.json: values per field and kind of case")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        finished, unfinished = make_run(Path(tmp)), make_unfinished(Path(tmp))
        pristine = Path(shutil.copytree(unfinished, Path(tmp) / "pristine"))
        files = {}
        for name in TARGETS:
            print(f"fuzzing {name}", flush=True)
            resumed = name in RESUMED
            files[name] = fuzz_file(
                unfinished if resumed else finished, name, args.examples, pristine=pristine if resumed else None
            )
        print("fuzzing config.json field by field", flush=True)
        fields = fuzz_config(Path(tmp), pristine, finished, args.per_kind, args.seed)
    total = sum(f["cases"] for f in files.values()) + fields["cases"]
    failures = sum(f["failed"] for f in files.values()) + fields["failures"]
    tracebacks = sum(f["tracebacks"] for f in files.values())
    out = {
        "splits": NO_SELECTION,
        "cases": total,
        "failures": failures,
        "tracebacks": tracebacks + fields["tracebacks"],
        "files": files,
        "config_fields": fields,
        "wall_seconds": time.perf_counter() - start,
    }
    write_result(RESULTS / "fuzz.json", out)
    for name, f in files.items():
        print(
            f"{name:28s} {f['cases']:5d} cases: {f['one_line']:5d} one line, {f['valid']:4d} still valid, "
            f"{f['failed']} failures"
        )
    print(
        f"{'config.json by field':28s} {fields['cases']:5d} cases: {fields['one_line']:5d} one line, "
        f"{fields['resumed']:4d} resumed as expected, {fields['failures']} failures"
    )


if __name__ == "__main__":
    main()
