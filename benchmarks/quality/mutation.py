"""The mutation score of the space and the operators: reads mutmut's results (run
``mutmut run`` first; settings in pyproject.toml) and writes them per file, with every
surviving mutant's name, to benchmarks/results/mutation.json.

    mutmut run --max-children 2
    python benchmarks/quality/mutation.py
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common.py
from common import NO_SELECTION, ROOT, no_options, result_path, write_result

CAUGHT = ("killed", "timeout")


def read_results() -> dict[str, str]:
    """mutant name -> status, as ``mutmut results --all true`` lists them."""
    out = subprocess.run(
        ["mutmut", "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return dict(line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line)


def summarize(results: dict[str, str]) -> dict:
    per_file: dict[str, Counter] = defaultdict(Counter)
    for name, status in results.items():
        per_file["/".join(name.split(".")[1:3])][status] += 1

    def score(counts: Counter) -> float | None:
        checked = sum(n for s, n in counts.items() if s != "not checked")
        return sum(counts[s] for s in CAUGHT) / checked if checked else None

    total = sum(per_file.values(), Counter())
    return {
        "files": {f: dict(c, score=score(c)) for f, c in sorted(per_file.items())},
        "total": dict(total, score=score(total)),
        "survivors": sorted(n for n, s in results.items() if s == "survived"),
        "rule": "score = (killed + timeout) / mutants checked (no-test mutants count as not caught)",
    }


def main() -> None:
    out = summarize(read_results())
    out["splits"] = NO_SELECTION
    out["command"] = "mutmut run --max-children 2; python benchmarks/quality/mutation.py"
    path = write_result(result_path("mutation"), out)
    print(f"{path}: score {out['total']['score']:.3f}, {len(out['survivors'])} survivors")


if __name__ == "__main__":
    no_options(__doc__)
    main()
