"""Fuzzed inputs, short: every file the CLI reads, corrupted by hypothesis (truncations,
bit flips, missing, extra and wrongly typed fields, NaN, huge numbers, wrong shapes in
weight headers), ends in exit 0 (still valid) or one line with exit 2, never a
traceback, and a refused file changes nothing in the run directory
(benchmarks/reliability/fuzz.py runs over 1,000 cases)."""

import importlib.util
import shutil
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability" / "fuzz.py"


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory, tiny_reference):
    """The script, with a copy of the tests' shared finished search as its run (the
    benchmark makes its own, ``make_run``)."""
    spec = importlib.util.spec_from_file_location("fuzz", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.RUN = Path(
        shutil.copytree(
            tiny_reference, tmp_path_factory.mktemp("fuzz") / "run", ignore=shutil.ignore_patterns("*-shm", "*-wal")
        )
    )
    return module


@pytest.mark.parametrize(
    "name, cases",
    [
        ("config.json", 12),
        ("checkpoint.pkl", 12),
        ("best_genotype.json", 16),
        ("log.jsonl", 16),
        ("archive.sqlite", 16),
        ("final/weights.safetensors", 16),
    ],
)
def test_corrupted_file_ends_in_one_line_or_is_still_valid(fuzz, name, cases):
    counts = fuzz.fuzz_file(fuzz.RUN, name, examples=cases)
    assert counts["cases"] == cases and not counts["failures"], counts["failures"][:3]
    assert counts["one_line"] >= cases // 4  # the corruptions do reach the error paths
