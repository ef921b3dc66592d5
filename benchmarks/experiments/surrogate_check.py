"""Does the surrogate comparison's verdict hold under real training? (issue 23, item 5)

From the paper-budget surrogate comparison (``results/compare_surrogate/records.jsonl``)
each method's median-seed run is taken (its seeds sorted by regret, the lower median:
index (n - 1) // 2) and its final pick trained under the fidelity study's target protocol
(10,000 images at 28 px, 10 epochs, scored on the 10,000 official test images) with seeds
0, 1 and 2; a pick's real result is their mean. Target trainings are shared with the
fidelity study and the real comparison (same protocol, same seeds) and this check's own
ones are cached in ``results/surrogate_check/post.jsonl`` (resumable).

``--summarize`` writes ``results/surrogate_check.json``: per method the surrogate's mean
test accuracy of the pick beside its real mean (with the seeds' SD); the Kendall tau
between the two orderings of the methods (scipy.stats); for each method against TS-ENAS
whether the surrogate's sign of the difference holds in real training and Welch's t-test
of the real difference (3 seeds a side: a check of direction, not a powered test); and
whether TS-ENAS's place among the methods holds.

    python -m benchmarks.experiments.surrogate_check --workers 2     # the target trainings (resumes)
    python -m benchmarks.experiments.surrogate_check --summarize
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.common import RESULTS, append_record, read_records, run_tasks, write_result

HERE = Path(__file__).resolve().parent
SURROGATE_RUNS = RESULTS / "compare_surrogate" / "records.jsonl"
POST = RESULTS / "surrogate_check" / "post.jsonl"
POST_SEEDS = (0, 1, 2)
BUDGET = "paper"


def median_runs(runs: list[dict], budget: str = BUDGET) -> dict[str, dict]:
    """Per method, its median-seed run at ``budget`` by regret (the lower median; ties by seed)."""
    by_method: dict[str, list[dict]] = {}
    for r in runs:
        if r["budget"] == budget:
            by_method.setdefault(r["method"], []).append(r)
    out = {}
    for method, rows in by_method.items():
        rows = sorted(rows, key=lambda r: (r["regret"], r["seed"]))
        out[method] = rows[(len(rows) - 1) // 2]
    return out


def known_trainings() -> dict[tuple[str, int], float]:
    """(genome key, seed) -> test accuracy of every target training on record: the real
    comparison's and the fidelity study's (``compare_real.post_results``) and this check's."""
    from benchmarks.experiments.compare_real import post_results

    known = post_results()
    known.update({(r["key"], r["seed"]): r["accuracy"]["test"] for r in read_records(POST)})
    return known


def campaign(workers: int) -> None:
    picks = dict.fromkeys(r["pick"] for r in median_runs(read_records(SURROGATE_RUNS)).values())
    known = known_trainings()
    todo = [(k, s) for k in picks for s in POST_SEEDS if (k, s) not in known]
    print(f"{len(picks)} distinct picks; {len(todo)} target trainings to run")
    from benchmarks.experiments.compare_real import post_task  # the same target training, written to this check's file

    run_tasks(post_task, todo, workers, lambda record, bar: append_record(POST, record), desc="target trainings")


def summarize(picks: dict[str, dict], real: dict[tuple[str, int], float], control: str = "tsenas") -> dict:
    """The surrogate's verdict on the median picks beside real training's."""
    from scipy import stats

    methods = {}
    for method, run in picks.items():
        accs = [real.get((run["pick"], s)) for s in POST_SEEDS]
        if None in accs:
            continue
        methods[method] = {
            "seed": run["seed"],
            "pick": run["pick"],
            "regret": run["regret"],
            "surrogate_test": run["pick_test"],
            "real_test": float(np.mean(accs)),
            "real_test_sd": float(np.std(accs, ddof=1)),
            "real_test_seeds": accs,
        }
    out: dict = {"methods": methods}
    if len(methods) < 3:
        return out
    names = list(methods)
    surrogate = [methods[m]["surrogate_test"] for m in names]
    real_means = [methods[m]["real_test"] for m in names]
    tau = stats.kendalltau(surrogate, real_means)
    out["ordering"] = {
        "kendall_tau": float(tau.statistic),
        "p": float(tau.pvalue),
        "surrogate": sorted(names, key=lambda m: -methods[m]["surrogate_test"]),
        "real": sorted(names, key=lambda m: -methods[m]["real_test"]),
    }
    if control in methods:
        ours = methods[control]
        pairs = {}
        for m in names:
            if m == control:
                continue
            surrogate_diff = ours["surrogate_test"] - methods[m]["surrogate_test"]
            real_diff = ours["real_test"] - methods[m]["real_test"]
            welch = stats.ttest_ind(ours["real_test_seeds"], methods[m]["real_test_seeds"], equal_var=False)
            pairs[m] = {
                "surrogate_diff": surrogate_diff,
                "real_diff": real_diff,
                "same_sign": bool(np.sign(surrogate_diff) == np.sign(real_diff)) if surrogate_diff else None,
                "welch_p": float(welch.pvalue) if np.isfinite(welch.pvalue) else None,
            }
        place = {kind: out["ordering"][kind].index(control) + 1 for kind in ("surrogate", "real")}
        out["against_" + control] = pairs
        out["place_of_" + control] = dict(place, holds=place["surrogate"] == place["real"])
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes, one thread each (0: serial)")
    parser.add_argument("--summarize", action="store_true", help="write results/surrogate_check.json")
    args = parser.parse_args(argv)
    if not args.summarize:
        campaign(args.workers)
        return
    picks = median_runs(read_records(SURROGATE_RUNS))
    summary = {
        "benchmark": "surrogate_check",
        "command": "python -m benchmarks.experiments.surrogate_check --summarize",
        "budget": BUDGET,
        "splits": {
            "selection": "each search's pick: the surrogate's validation model with the table's seed noise",
            "report": "real training of each pick, scored on the 10,000 official test images (no selection saw them)",
        },
        "protocol": "each method's median-seed pick (by regret) trained under the fidelity study's target "
        "protocol (10,000 images, 28 px, 10 epochs) with seeds 0, 1, 2; scored on the 10,000 official test images",
        **summarize(picks, known_trainings()),
    }
    write_result(RESULTS / "surrogate_check.json", summary)
    print(json.dumps({k: summary.get(k) for k in ("ordering", "place_of_tsenas")}, indent=1))


if __name__ == "__main__":
    main()
