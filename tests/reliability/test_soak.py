"""Random-kill soak, short: a search SIGKILLed at seeded random moments (the process group,
as a scheduler kills) resumes to exactly an uninterrupted run's end (benchmarks/reliability/soak.py
runs 20 kills, and 5 with --workers 2)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability" / "soak.py"


def test_a_search_killed_at_random_moments_resumes_to_the_same_end(tmp_path):
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    short = [
        "--dataset",
        "digits",
        "--train-subset",
        "400",
        "--pop-size",
        "4",
        "--fine-size",
        "2",
        "--stage1-gens",
        "3",
        "--stage2-gens",
        "2",
        "--epochs",
        "1",
        "--init-channels",
        "4",
        "--supernet-epochs",
        "1",
        "--final-epochs",
        "1",
        "--n-max",
        "4",
        "--seed",
        "7",
        "--batch-size",
        "64",
        "--threads",
        "1",
        "-q",
    ]
    result = module.soak(tmp_path, kills=2, seed=11, extra=[], min_delay=1.0, max_delay=5.0, options=short)
    assert result["kills"] == 2, result
    assert result["identical"], result
