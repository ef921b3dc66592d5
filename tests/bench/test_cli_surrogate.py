"""`tsenas search --evaluator surrogate`: a whole two-stage search from the table, in a
run directory like any other."""

import json
import subprocess
import sys


def tsenas(*args):
    return subprocess.run([sys.executable, "-m", "tsenas_pymoo.cli", *args], capture_output=True, text=True)


def test_a_two_stage_search_on_the_surrogate_runs_resumes_and_reports_without_training(table_path, tmp_path):
    out = tmp_path / "run"
    args = ["search", "--evaluator", "surrogate", "--surrogate-table", str(table_path), "--out", str(out)]
    args += ["--pop-size", "8", "--fine-size", "2", "--stage1-gens", "3", "--stage2-gens", "2", "--seed", "1"]
    first = tsenas(*args)
    assert first.returncode == 0, first.stderr[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["generations"] == 6 and summary["evaluations"] >= 8
    assert summary["final"]["source"].startswith("surrogate") and 0 < summary["final"]["test_accuracy"] < 1
    genotype = json.loads((out / "best_genotype.json").read_text())
    assert genotype["input_shape"] == [1, 16, 16] and "surrogate" in genotype["search_data"]
    again = tsenas("search", "--resume", str(out))
    assert again.returncode == 0 and json.loads((out / "summary.json").read_text()) == summary


def test_a_chain_longer_than_the_table_covers_is_refused_in_one_line(table_path, tmp_path):
    args = ["search", "--evaluator", "surrogate", "--surrogate-table", str(table_path)]
    r = tsenas(*args, "--out", str(tmp_path / "run"), "--n-max", "8")
    assert r.returncode == 2 and "rule: within the surrogate table's N 3-6" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
