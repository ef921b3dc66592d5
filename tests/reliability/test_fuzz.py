"""Fuzzed inputs, short: every file the CLI reads, corrupted by hypothesis (truncations,
bit flips, missing, extra and wrongly typed fields, NaN, huge numbers, wrong shapes in
weight headers), ends in exit 0 (still valid, or resumed as expected) or one line with
exit 2, never a traceback, and a refused file changes nothing in the run directory; a
signed config.json, fuzzed field by field, on a run with work left
(benchmarks/reliability/fuzz.py runs over 1,000 cases)."""

import importlib
import shutil
from pathlib import Path

import pytest

from tsenas_pymoo.testing.harness import TINY

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability" / "fuzz.py"


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory, tiny_reference):
    """The script, with a copy of the tests' shared finished search as its run and the
    same search killed after its first checkpoint (the benchmark makes its own)."""
    module = importlib.import_module("benchmarks.reliability.fuzz")
    work = tmp_path_factory.mktemp("fuzz")
    module.RUN = Path(shutil.copytree(tiny_reference, work / "run", ignore=shutil.ignore_patterns("*-shm", "*-wal")))
    module.UNFINISHED = module.make_unfinished(work, options=TINY)
    module.PRISTINE = Path(shutil.copytree(module.UNFINISHED, work / "pristine"))
    module.REFERENCE = tiny_reference
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
    resumed = name in fuzz.RESUMED
    counts = fuzz.fuzz_file(
        fuzz.UNFINISHED if resumed else fuzz.RUN, name, examples=cases, pristine=fuzz.PRISTINE if resumed else None
    )
    assert counts["cases"] == cases and not counts["failed"], counts["failures"][:3]
    assert counts["one_line"] >= cases // 4  # the corruptions do reach the error paths


def test_config_json_fuzzed_by_field_reaches_the_parser_and_ends_as_expected(fuzz, tmp_path):
    fields = ("lr", "init_channels", "scheduler")
    result = fuzz.fuzz_config(tmp_path, fuzz.PRISTINE, fuzz.REFERENCE, per_kind=1, seed=3, fields=fields)
    assert result["cases"] == len(fields) * len(fuzz.FIELD_KINDS)
    assert result["failures"] == 0, result["failed"][:3]
    assert set(result["per_field"]) == set(fields) and set(result["per_kind"]) == set(fuzz.FIELD_KINDS)
    assert result["one_line"] >= 12 and result["resumed"] >= 1  # refusals by the parser, and a resume that ran
