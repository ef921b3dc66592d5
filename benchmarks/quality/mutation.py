"""The mutation score of the space and the operators: reads mutmut's results (run
``mutmut run`` first; settings in pyproject.toml) and writes them per file, with every
surviving mutant's name, to benchmarks/results/mutation.json.

    python -m benchmarks.quality.mutation --restore   # a cut-off run's verdicts back into mutants/
    mutmut run --max-children 2                       # skips mutants that already have a verdict
    python -m benchmarks.quality.mutation --save      # verdicts so far into results/mutation/ (commit)
    python -m benchmarks.quality.mutation             # results/mutation.json

A full run takes hours on 2 cores, so it spans sessions: mutmut keeps each file's verdicts
in ``mutants/<file>.meta`` (with a hash per function: a verdict stands while its function
is unchanged); ``--save`` and ``--restore`` carry those files through the tracked folder
``benchmarks/results/mutation/``.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

from benchmarks.common import NO_SELECTION, RESULTS, ROOT, result_path, write_result

CAUGHT = ("killed", "timeout")
SAVED = RESULTS / "mutation"


def carry(source: Path, target: Path) -> int:
    """Copy every ``*.meta`` under ``source`` to the same place under ``target``."""
    n = 0
    for meta in source.rglob("*.meta"):
        dest = target / meta.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(meta, dest)
        n += 1
    return n


def read_results() -> dict[str, str]:
    """mutant name -> status, as ``mutmut results --all true`` lists them."""
    out = subprocess.run(
        ["mutmut", "results", "--all", "true"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    return dict(line.strip().rsplit(": ", 1) for line in out.splitlines() if ": " in line)


def mutant_file(name: str) -> str:
    """The file a mutant's name points to, below the package: ``space/width`` for
    ``tsenas_pymoo.space.width.x_rule__mutmut_3``, ``space/__init__`` for a package's own
    ``tsenas_pymoo.space.x___getattr____mutmut_1`` (mutmut marks functions ``x_``, methods ``xǁ``)."""
    module = re.split(r"\.x[_ǁ]", name, maxsplit=1)[0].split(".")[1:]
    return "/".join(module if len(module) > 1 else [*module, "__init__"])


def summarize(results: dict[str, str]) -> dict:
    per_file: dict[str, Counter] = defaultdict(Counter)
    for name, status in results.items():
        per_file[mutant_file(name)][status] += 1

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
    out["command"] = "mutmut run --max-children 2; python -m benchmarks.quality.mutation"
    path = write_result(result_path("mutation"), out)
    print(f"{path}: score {out['total']['score']:.3f}, {len(out['survivors'])} survivors")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--save", action="store_true", help="mutants/**/*.meta -> benchmarks/results/mutation/")
    parser.add_argument("--restore", action="store_true", help="benchmarks/results/mutation/ -> mutants/")
    args = parser.parse_args()
    if args.save:
        print(f"saved {carry(ROOT / 'mutants', SAVED)} verdict files to {SAVED}")
    elif args.restore:
        print(f"restored {carry(SAVED, ROOT / 'mutants')} verdict files into mutants/")
    else:
        main()
