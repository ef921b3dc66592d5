"""The surrogate comparison: every method runs to the same budget, resumes, and its
statistics name a known winner."""

import importlib
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "experiments" / "compare_surrogate.py"


@pytest.fixture
def compare(monkeypatch):
    module = importlib.import_module("benchmarks.experiments.compare_surrogate")
    tiny = {"pop_size": 8, "stage1_gens": 3, "fine_size": 2, "stage2_gens": 2}
    monkeypatch.setattr(module, "BUDGETS", {"tiny": tiny})
    return module


def test_the_budget_is_ts_enas_schedule_in_evaluations(compare):
    paper = {"pop_size": 100, "stage1_gens": 100, "fine_size": 30, "stage2_gens": 50}
    assert compare.evaluations(paper) == 14_600
    assert compare.evaluations(compare.BUDGETS["tiny"]) == 8 * 4 + 3 * 2 * 2


def test_every_method_spends_the_budget_and_a_rerun_resumes(compare, table_path, tmp_path):
    records = tmp_path / "records.jsonl"
    compare.campaign(str(table_path), ["tiny"], list(compare.METHODS), [0], workers=0, records=records)
    rows = compare.read(records)
    assert sorted(r["method"] for r in rows) == sorted(compare.METHODS)
    budget = compare.evaluations(compare.BUDGETS["tiny"])
    for r in rows:
        # TS-ENAS's schedule is the budget (stage-2 children already known are free);
        # every other method stops at it
        assert (r["evaluations"] <= budget) if r["method"] == "tsenas" else (r["evaluations"] == budget), r
        assert r["curve"][-1][0] == r["evaluations"] and r["curve"][-1][3] == r["pick_test"]
        steps = [c[1] for c in r["curve"]]
        assert steps == sorted(steps)  # the best-so-far by fitness never falls
        assert 0.0 < r["front_hv"] <= 1.0
    lengths = len(rows)
    compare.campaign(str(table_path), ["tiny"], list(compare.METHODS), [0], workers=0, records=records)
    assert len(compare.read(records)) == lengths


def test_same_seed_same_run(compare, table_path):
    first = compare.run_one(str(table_path), "tiny", "tsenas", 5)
    second = compare.run_one(str(table_path), "tiny", "tsenas", 5)
    assert first["curve"] == second["curve"] and first["pick"] == second["pick"]
    assert compare.run_one(str(table_path), "tiny", "tsenas", 6)["curve"] != first["curve"]


def test_the_summary_names_a_known_winner(compare):
    rng = np.random.default_rng(0)

    def runs(method, regret):
        return [
            {
                "budget": "tiny",
                "method": method,
                "seed": s,
                "regret": r,
                "pick_test": 0.9 - r,
                "evaluations": 44,
                "answered_by_archive": 0,
                "seconds": 1.0,
                "curve": [],
            }
            for s, r in enumerate(regret + rng.normal(0, 0.002, 30))
        ]

    rows = runs("tsenas", 0.01) + runs("random", 0.03) + runs("re", 0.02)
    out = compare.summarize(rows)["tiny"]
    assert out["goal"]["met"] and out["methods"]["tsenas"]["regret"]["median"] == pytest.approx(0.01, abs=0.002)
    assert out["tests"]["omnibus"]["p"] < 1e-6
    tied = runs("tsenas", 0.02) + runs("random", 0.03) + runs("re", 0.02)
    goal = compare.summarize(tied)["tiny"]["goal"]
    assert not goal["met"] and goal["holm_p_below_0.05"] == {"random": True, "re": False}


def test_the_front_is_chosen_by_what_the_search_saw_and_scored_on_test(compare):
    # (fitness error, MACs, test error): the second is dominated by the first as seen,
    # though its test error is better; the third trades error for MACs
    seen = [(0.10, 50.0, 0.20), (0.15, 60.0, 0.05), (0.30, 10.0, 0.40)]
    # front (test error, MACs/100): (0.20, 0.5) and (0.40, 0.1); HV with reference (1, 1)
    expected = (1 - 0.20) * (1 - 0.5) + (1 - 0.40) * (0.5 - 0.1)
    assert compare.front_hypervolume(seen, 100.0) == pytest.approx(expected)
    assert compare.front_hypervolume([], 100.0) == 0.0


def test_the_comparison_at_ts_enas_spend_reads_each_pick_from_its_steps(compare):
    def run(method, seed, evaluations, steps):
        final = steps[-1][3]
        return {
            "budget": "tiny",
            "method": method,
            "seed": seed,
            "regret": 0.9 - final,
            "pick_test": final,
            "evaluations": evaluations,
            "answered_by_archive": 0,
            "seconds": 1.0,
            "curve": [],
            "steps": steps,
        }

    rows = []
    for seed in range(6):
        rows.append(run("tsenas", seed, 30, [[4, 0.8, 0.8, 0.85], [25, 0.9, 0.9, 0.87]]))
        # random search ends better, but only after TS-ENAS's 30 evaluations
        rows.append(run("random", seed, 44, [[4, 0.8, 0.8, 0.84], [31, 0.95, 0.95, 0.89]]))
    out = compare.summarize(rows)["tiny"]
    assert out["methods"]["random"]["regret"]["median"] == pytest.approx(0.01)
    at = out["at_tsenas_spend"]
    assert at["evaluations"] == 30
    assert at["methods"]["tsenas"]["regret"]["median"] == pytest.approx(0.03)
    assert at["methods"]["random"]["regret"]["median"] == pytest.approx(0.06)
    assert at["goal"]["lower_than"] == {"random": True} and not out["goal"]["lower_than"]["random"]
    assert compare.value_at([[4, 0, 0, 0.5]], 3) != compare.value_at([[4, 0, 0, 0.5]], 3)  # NaN before the first


def test_the_campaign_cost_is_the_runs_seconds_over_the_workers(compare):
    rows = [{"budget": "paper", "seconds": 1800.0}, {"budget": "paper", "seconds": 1200.0}]
    rows += [{"budget": "tenth", "seconds": 600.0}]
    out = compare.compute(rows, workers=2, goal_minutes=30)
    assert out["run_seconds_by_budget"] == {"paper": 3000.0, "tenth": 600.0}
    assert out["wall_minutes_lower_bound"] == 30.0 and out["met"]
    assert not compare.compute(rows + [{"budget": "tenth", "seconds": 1.0}], workers=2)["met"]
