"""The real-training check of the surrogate comparison: which pick each method sends, and
how the two verdicts are compared."""

import importlib
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "experiments" / "surrogate_check.py"


@pytest.fixture
def check():
    module = importlib.import_module("benchmarks.experiments.surrogate_check")
    return module


def run(method, seed, regret, budget="paper"):
    return {
        "budget": budget,
        "method": method,
        "seed": seed,
        "regret": regret,
        "pick": f"{method}-{seed}",
        "pick_test": 0.9 - regret,
    }


def test_the_median_seed_run_of_each_method_at_the_paper_budget(check):
    runs = [run("tsenas", s, r) for s, r in zip(range(300, 305), [0.05, 0.01, 0.03, 0.02, 0.04])]
    runs += [run("random", s, r) for s, r in zip(range(300, 304), [0.04, 0.01, 0.03, 0.02])]
    runs += [run("random", 399, 0.0, budget="tenth")]  # another budget: never picked
    picks = check.median_runs(runs)
    assert picks["tsenas"]["seed"] == 302  # 0.03: third of five
    assert picks["random"]["seed"] == 303  # 0.02: the lower median of four
    assert set(picks) == {"tsenas", "random"}


def test_the_verdicts_are_compared_in_order_sign_and_place(check):
    surrogate = {"tsenas": 0.02, "random": 0.05, "re": 0.03, "ga": 0.04}  # regret: tsenas best, then re, ga, random
    picks = {m: run(m, 300, r) for m, r in surrogate.items()}
    real = {}
    for m, mean in {"tsenas": 0.880, "random": 0.870, "re": 0.860, "ga": 0.865}.items():
        for s, noise in zip(check.POST_SEEDS, (-0.001, 0.0, 0.001)):
            real[(f"{m}-300", s)] = mean + noise
    out = check.summarize(picks, real)
    assert out["methods"]["re"]["real_test"] == pytest.approx(0.860)
    assert out["ordering"]["surrogate"] == ["tsenas", "re", "ga", "random"]
    assert out["ordering"]["real"] == ["tsenas", "random", "ga", "re"]
    assert out["place_of_tsenas"] == {"surrogate": 1, "real": 1, "holds": True}
    assert all(p["same_sign"] for p in out["against_tsenas"].values())
    assert out["against_tsenas"]["re"]["real_diff"] == pytest.approx(0.02)
    assert out["ordering"]["kendall_tau"] == pytest.approx(0.0)  # 3 of 6 pairs agree


def test_a_pick_without_all_its_trainings_is_left_out(check):
    picks = {m: run(m, 300, 0.01 * i) for i, m in enumerate(["tsenas", "random", "re"])}
    real = {(f"{m}-300", s): 0.88 for m in ["tsenas", "random"] for s in check.POST_SEEDS}
    real[("re-300", 0)] = 0.88
    out = check.summarize(picks, real)
    assert set(out["methods"]) == {"tsenas", "random"}
    assert "ordering" not in out
