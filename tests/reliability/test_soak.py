"""Random-kill soak, short: a search SIGKILLed at seeded random moments (the process group,
as a scheduler kills) resumes to exactly an uninterrupted run's end (benchmarks/reliability/soak.py
runs 20 kills, and 5 with --workers 2)."""

import importlib.util
from pathlib import Path

from tests.reliability.harness import TINY

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reliability" / "soak.py"


def test_a_search_killed_at_random_moments_resumes_to_the_same_end(tmp_path, tiny_reference):
    spec = importlib.util.spec_from_file_location("soak", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.soak(
        tmp_path, kills=2, seed=11, extra=[], min_delay=1.0, max_delay=5.0, options=TINY, reference=tiny_reference
    )
    assert result["kills"] == 2, result
    assert result["identical"], result
