"""The habit of mutation testing: every surviving mutant is classified in the docs."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_survivor_in_the_results_is_classified_in_the_docs():
    """A survivor `mutation.json` names and docs/development.md does not is a gap: kill it
    with a test or say there why it is harmless. Names the docs give that no longer survive
    are stale, too."""
    survivors = {
        n.removeprefix("tsenas_pymoo.")
        for n in json.loads((ROOT / "benchmarks/results/mutation.json").read_text())["survivors"]
    }
    docs = (ROOT / "docs/development.md").read_text()
    named = set(re.findall(r"`((?:operators|space)\.[^`\s]+__mutmut_\d+)`", docs))
    assert sorted(survivors - named) == [], "survivors not classified in docs/development.md"
    assert sorted(named - survivors) == [], "docs/development.md classifies mutants that no longer survive"
