"""Compare pymoo's algorithms on the surrogate benchmark: the paper's budget, 30 seeds.

Every method searches the TS-ENAS space against one :class:`SurrogateEvaluator` (the
shipped table, or ``--table``): each evaluation's fitness is the surrogate's mean
validation accuracy plus a draw of the table's seed noise (what a search sees); a genome
evaluated before is answered from an in-memory archive, free, as a run directory's
archive answers it; s evaluated again in stage 2 (Alg. 4 line 7) is a new draw.

Methods (``METHODS``): TS-ENAS (both stages, Alg. 1), TS-ENAS stage 1 only, pymoo's GA
with the TS-ENAS operators, pymoo's mixed-variable GA (cell codes as categories: the best
encoding pymoo offers), DE on the integer vector, regularized evolution (aging, Real et
al. 2019), random search (Alg. 3 samples) and NSGA2 on (error, MACs), at pymoo's
defaults: nothing is tuned, for any method.

Budget (``BUDGETS``), counted in evaluations (networks a real search would train): the
paper's settings P=100, T0=100, S=30, T1=50 make P(1 + T0) + 3 S T1 = 14,600 (every
stage-1 generation trains P new networks; each stage-2 generation evaluates p1, p2 and s
again for each of S parents), and a tenth (P=32, T0=32, S=10, T1=15: 1,506). TS-ENAS
runs its schedule; every other method stops at the same number of evaluations.

Measured per run (one record each, ``results/compare_surrogate/records.jsonl``, resumable):
the best-so-far by noisy fitness (as the search sees it) at checkpoints of the budget and
at each of its changes (``steps``), and for it the surrogate's mean validation and mean
test accuracy; the regret: the best mean test accuracy over the table's networks minus
the pick's (the test model: selection and report never share images; a search can find
networks the model rates above every measured one, so regret can be negative); for the
multi-objective view, the hypervolume of the networks it evaluated that none other beat
on both (fitness error, MACs), scored by the surrogate's test error (``front_hv``; every method, NSGA2 the reference).
``--summarize``: medians with quartiles, Kruskal-Wallis, pairwise Mann-Whitney with
Holm's correction, Hodges-Lehmann shifts and Cliff's deltas with bootstrap intervals
(``tsenas_pymoo.analysis.comparison``), ``results/compare_surrogate.json`` and
``plots/compare_surrogate.png`` (anytime curves, median and quartile band); the same
at the evaluations TS-ENAS spends (``at_tsenas_spend``: a genome it meets again is free,
so its schedule can end below the budget every other method spends).

    python -m benchmarks.experiments.compare_surrogate --workers 2              # 30 seeds (300-329), both budgets
    python -m benchmarks.experiments.compare_surrogate --summarize
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from benchmarks.common import PLOTS, RESULTS, append_record, read_records, run_tasks, spread, write_result

RECORDS = RESULTS / "compare_surrogate" / "records.jsonl"
METHODS = ("tsenas", "tsenas-stage1", "ga-tsenas-ops", "ga", "de", "re", "random", "nsga2")
LABELS = {
    "tsenas": "TS-ENAS",
    "tsenas-stage1": "TS-ENAS stage 1 only",
    "ga-tsenas-ops": "GA, TS-ENAS operators",
    "ga": "GA, pymoo mixed-variable",
    "de": "DE",
    "re": "regularized evolution",
    "random": "random search (Alg. 3)",
    "nsga2": "NSGA2 (error, MACs)",
}
BUDGETS = {
    "paper": {"pop_size": 100, "stage1_gens": 100, "fine_size": 30, "stage2_gens": 50},
    "tenth": {"pop_size": 32, "stage1_gens": 32, "fine_size": 10, "stage2_gens": 15},
}
SEEDS = tuple(range(300, 330))  # report seeds: nothing here was tuned on them (or at all)
CHECKPOINTS = 40


def evaluations(budget: dict) -> int:
    """The evaluations of TS-ENAS's schedule: P(1 + T0) + 3 S T1."""
    b = budget
    return b["pop_size"] * (1 + b["stage1_gens"]) + 3 * b["fine_size"] * b["stage2_gens"]


def checkpoints(budget: dict) -> list[int]:
    """Evaluation counts at which the best-so-far is recorded: log-spaced from P to the end."""
    return sorted({int(round(v)) for v in np.geomspace(budget["pop_size"], evaluations(budget), CHECKPOINTS)})


class Recorder:
    """Wraps the evaluator: counts evaluations (archive answers are free), keeps the
    best-so-far by fitness and its surrogate means, and snapshots them at ``points``.
    Evaluations past ``limit`` (the rest of a last generation) do not change the pick."""

    def __init__(self, evaluator, limit: int, points: list[int]):
        self.evaluator, self.limit, self.points = evaluator, int(limit), list(points)
        self.used = self.answered = 0
        self.best: tuple[float, float, float, str] | None = None
        self.curve: list[list] = []
        self.steps: list[list] = []  # every change of the best-so-far: [evaluations, fitness, mean val, mean test]
        self.seen: list[tuple[float, float, float]] = []  # (fitness error, MACs, test error)

    def __getattr__(self, name):
        if name in ("evaluator", "__setstate__"):
            raise AttributeError(name)
        return getattr(self.evaluator, name)

    def __deepcopy__(self, memo):  # pymoo copies the algorithm; the evaluator is shared
        return self

    def __call__(self, genome):
        result = self.evaluator(genome)
        if result.get("archived"):
            self.answered += 1
            return result
        if self.used >= self.limit:
            return result
        self.used += 1
        self.seen.append((1.0 - result["accuracy"], float(result["macs"]), 1.0 - result["test_accuracy"]))
        if self.best is None or result["accuracy"] > self.best[0]:
            self.best = (result["accuracy"], result["mean_accuracy"], result["test_accuracy"], genome.key())
            self.steps.append([self.used, *self.best[:3]])
        while self.points and self.points[0] <= self.used:
            self.curve.append([self.points.pop(0), *self.best[:3]])
        return result


def make_search(method: str, budget: dict, evaluator, n_min: int, n_max: int):
    """(problem, algorithm, termination) for one method; termination None: the
    algorithm's own schedule (TS-ENAS)."""
    from pymoo.algorithms.soo.nonconvex.ga import GA

    from tsenas_pymoo import TSENAS, CellCrossover, CellMutation, GenomeDuplicateElimination, TSENASSampling
    from tsenas_pymoo.search.budget import BudgetTermination
    from tsenas_pymoo.search.stock import make_algorithm, make_problem

    P = budget["pop_size"]
    objectives = ("error", "macs") if method == "nsga2" else ("error",)
    problem = make_problem(method, evaluator, n_min=n_min, n_max=n_max, objectives=objectives)
    stop = BudgetTermination(lambda: evaluator.used, evaluations(budget), stall=30)
    if method == "tsenas":
        return problem, TSENAS(**budget), None
    if method == "tsenas-stage1":
        return problem, TSENAS(pop_size=P, fine_size=1, stage1_gens=10**6, stage2_gens=0), stop
    if method == "ga-tsenas-ops":
        algorithm = GA(
            pop_size=P,
            sampling=TSENASSampling(),
            crossover=CellCrossover(prob=0.8),
            mutation=CellMutation(prob=0.2),
            eliminate_duplicates=GenomeDuplicateElimination(problem.decode),
        )
        return problem, algorithm, stop
    return problem, make_algorithm(method, P), stop


def run_one(table: str | None, budget_name: str, method: str, seed: int) -> dict:
    """One search; its record."""
    from pymoo.optimize import minimize

    from tsenas_pymoo.bench import SurrogateEvaluator
    from tsenas_pymoo.bench.surrogate import fitted
    from tsenas_pymoo.bench.table import load_table

    bench = load_table(table)
    budget = BUDGETS[budget_name]
    evaluator = Recorder(
        SurrogateEvaluator(bench, seed=seed, surrogate=fitted(bench), archive="memory"),
        evaluations(budget),
        checkpoints(budget),
    )
    problem, algorithm, termination = make_search(method, budget, evaluator, bench.n_min, bench.n_max)
    start = time.perf_counter()
    minimize(problem, algorithm, termination, seed=seed)
    _, val, test, key = evaluator.best
    if not evaluator.curve or evaluator.curve[-1][0] != evaluator.used:  # a schedule that ended early
        evaluator.curve.append([evaluator.used, *evaluator.best[:3]])
    return {
        "budget": budget_name,
        "method": method,
        "seed": seed,
        "evaluations": evaluator.used,
        "answered_by_archive": evaluator.answered,
        "seconds": time.perf_counter() - start,
        "pick": key,
        "pick_val": val,
        "pick_test": test,
        "regret": best_in_table(bench) - test,
        "curve": evaluator.curve,
        "steps": evaluator.steps,
        "front_hv": front_hypervolume(evaluator.seen, max_macs(evaluator, bench)),
    }


_BEST: dict = {}


def front_hypervolume(seen, macs_scale: float) -> float:
    """The multi-objective view of a run: the networks it evaluated that no other it
    evaluated beats on both (fitness error, MACs), as the search saw them, scored by the
    surrogate's test error; the hypervolume they dominate (pymoo's HV) in (test error,
    MACs / ``macs_scale``), reference point (1, 1)."""
    from pymoo.indicators.hv import HV

    front, best_macs = [], np.inf
    for _error, macs, test_error in sorted(seen):  # fitness error up, then MACs up
        if macs < best_macs:
            front.append((test_error, min(macs / macs_scale, 1.0)))
            best_macs = macs
    return float(HV(ref_point=np.array([1.0, 1.0]))(np.array(front))) if front else 0.0


def max_macs(evaluator, bench) -> float:
    """The scale of MACs for the hypervolume: 1.05 x the largest network in the table,
    counted as the evaluator counts them."""
    from tsenas_pymoo.space.genome import genome_from_key

    if ("macs", str(bench.path)) not in _BEST:
        _BEST["macs", str(bench.path)] = 1.05 * max(evaluator.cost(genome_from_key(k))[1] for k in bench.networks())
    return _BEST["macs", str(bench.path)]


def best_in_table(bench) -> float:
    """The best surrogate mean test accuracy over the table's networks."""
    from tsenas_pymoo.bench.surrogate import fitted
    from tsenas_pymoo.space.genome import genome_from_key

    if str(bench.path) not in _BEST:
        keys = sorted(bench.networks())
        out = fitted(bench).predict([genome_from_key(k).expand() for k in keys])
        _BEST[str(bench.path)] = float(np.max(out["test"]))
    return _BEST[str(bench.path)]


# -- the campaign -----------------------------------------------------------------------
def read(records: Path) -> list[dict]:
    return read_records(records)


def campaign(table, budgets, methods, seeds, workers: int, records: Path = RECORDS) -> None:
    records.parent.mkdir(parents=True, exist_ok=True)
    done = {(r["budget"], r["method"], r["seed"]) for r in read(records)}
    # small budget first, methods interleaved per seed: every method has results early
    todo = [(table, b, m, s) for b in budgets for s in seeds for m in methods if (b, m, s) not in done]
    print(f"{len(done)} runs done, {len(todo)} to run", flush=True)

    def save(record, bar):
        append_record(records, record)
        bar.set_postfix(last=f"{record['method']} {record['seconds']:.0f}s")

    run_tasks(run_one, todo, workers, save, desc="compare")


# -- the summary ------------------------------------------------------------------------
def summarize(rows: list[dict]) -> dict:
    from tsenas_pymoo.analysis.comparison import compare_groups

    out = {}
    for budget in BUDGETS:
        mine = [r for r in rows if r["budget"] == budget]
        methods = [m for m in METHODS if any(r["method"] == m for r in mine)]
        if not methods:
            continue
        regret = {m: [r["regret"] for r in mine if r["method"] == m] for m in methods}
        per_method = {
            m: {
                "runs": len(regret[m]),
                "regret": spread(regret[m]),
                "pick_test": spread([r["pick_test"] for r in mine if r["method"] == m]),
                "evaluations": spread([r["evaluations"] for r in mine if r["method"] == m]),
                # proposals of genomes evaluated before (free, as a run directory's archive answers them)
                "answered_by_archive": spread([r["answered_by_archive"] for r in mine if r["method"] == m]),
                "seconds": spread([r["seconds"] for r in mine if r["method"] == m]),
                "front_hv": spread([r["front_hv"] for r in mine if r["method"] == m and "front_hv" in r]),
            }
            for m in methods
        }
        entry = {"evaluations": evaluations(BUDGETS[budget]), "settings": BUDGETS[budget], "methods": per_method}
        if len(methods) > 1 and all(len(v) >= 2 for v in regret.values()):
            # regret: lower is better; the tests compare the picks' test accuracy (higher)
            tests = compare_groups(
                {m: [-v for v in regret[m]] for m in methods}, control="tsenas" if "tsenas" in methods else None
            )
            entry["tests"] = tests
            if "tsenas" in methods:
                entry["goal"] = goal(per_method, tests)
        if "tsenas" in methods:
            entry["at_tsenas_spend"] = at_spend(mine, methods, per_method)
        hv = {m: [r["front_hv"] for r in mine if r["method"] == m and "front_hv" in r] for m in methods}
        if len(methods) > 1 and all(len(v) >= 2 for v in hv.values()):
            # the multi-objective view (higher is better), each method against NSGA2
            entry["front_tests"] = compare_groups(hv, control="nsga2" if "nsga2" in methods else None)
        out[budget] = entry
    return out


def compute(rows: list[dict], workers: int = 2, goal_minutes: float = 30.0) -> dict:
    """What the campaign costs: the runs' own seconds summed, and that over ``workers``
    (a lower bound on the wall time: perfect packing, no start-up) against the issue's
    goal. Runs made while other work shared the cores count as they ran."""
    by_budget = {
        b: float(sum(r["seconds"] for r in rows if r["budget"] == b)) for b in sorted({r["budget"] for r in rows})
    }
    total = sum(by_budget.values())
    minutes = total / workers / 60
    return {
        "run_seconds_total": total,
        "run_seconds_by_budget": by_budget,
        "workers": workers,
        "wall_minutes_lower_bound": minutes,
        "goal_minutes": goal_minutes,
        "met": minutes <= goal_minutes,
    }


def at_spend(rows: list[dict], methods: list[str], per_method: dict) -> dict:
    """The comparison at the evaluations TS-ENAS spends (its median): TS-ENAS runs its
    schedule, and a genome it meets again is answered free, so it can end below the
    budget the other methods spend in full. Each run's pick at that count is read from
    its best-so-far steps (exact: every change is recorded)."""
    from tsenas_pymoo.analysis.comparison import compare_groups

    spend = int(per_method["tsenas"]["evaluations"]["median"])
    regret = {
        m: [r["regret"] + r["pick_test"] - value_at(r.get("steps", []), spend) for r in rows if r["method"] == m]
        for m in methods
    }
    regret = {m: [v for v in values if np.isfinite(v)] for m, values in regret.items()}
    out = {"evaluations": spend, "methods": {m: {"regret": spread(regret[m])} for m in methods}}
    if all(len(v) >= 2 for v in regret.values()):
        out["tests"] = compare_groups({m: [-v for v in regret[m]] for m in methods}, control="tsenas")
        out["goal"] = goal(out["methods"], out["tests"])
    return out


def value_at(steps: list[list], evaluations: int) -> float:
    """The best-so-far's mean test accuracy after ``evaluations`` (NaN before the first)."""
    value = np.nan
    for step in steps:
        if step[0] > evaluations:
            break
        value = step[3]
    return value


def goal(per_method: dict, tests: dict) -> dict:
    """TS-ENAS's median regret below every other method's, and Holm-corrected p < 0.05
    against random search and regularized evolution."""
    ours = per_method["tsenas"]["regret"]["median"]
    lower = {m: ours < v["regret"]["median"] for m, v in per_method.items() if m != "tsenas"}
    p = {pair["b"] if pair["a"] == "tsenas" else pair["a"]: pair["p_holm"] for pair in tests.get("pairs", [])}
    significant = {m: p.get(m, 1.0) < 0.05 for m in ("random", "re") if m in per_method}
    return {
        "lowest_median_regret": all(lower.values()),
        "lower_than": lower,
        "holm_p_below_0.05": significant,
        "met": all(lower.values()) and all(significant.values()),
    }


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budgets = [b for b in BUDGETS if any(r["budget"] == b for r in rows)]
    fig, axes = plt.subplots(1, len(budgets), figsize=(6 * len(budgets), 4.5), squeeze=False)
    for ax, budget in zip(axes[0], budgets):
        for method in METHODS:
            runs = [r for r in rows if r["budget"] == budget and r["method"] == method]
            if not runs:
                continue
            x = np.array(checkpoints(BUDGETS[budget]), float)
            y = np.array([_on_grid(r["curve"], x) for r in runs])
            # TS-ENAS on top: its stage 1 is the stage-1-only run of the same seed, line for line
            style = {"color": "black", "lw": 2, "zorder": 5} if method == "tsenas" else {"lw": 1}
            line = ax.plot(x, np.nanmedian(y, axis=0), label=f"{LABELS[method]} ({len(runs)})", **style)[0]
            lo, hi = np.nanpercentile(y, 25, axis=0), np.nanpercentile(y, 75, axis=0)
            ax.fill_between(x, lo, hi, color=line.get_color(), alpha=0.08)
        ax.set_xscale("log")
        ax.set_xlabel("evaluations (networks a real search would train)")
        ax.set_ylabel("surrogate mean test accuracy of the best-so-far")
        ax.set_title(f"{budget} budget: median and quartiles over seeds")
        ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


def _on_grid(curve: list[list], grid) -> np.ndarray:
    """The best-so-far's mean test accuracy at each grid point (NaN before the first)."""
    points = {int(c[0]): c[3] for c in curve}
    out, last = [], np.nan
    for g in grid:
        last = points.get(int(g), last)
        out.append(last)
    return np.array(out, float)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", default=None, help="a surrogate table (default: the one in the package)")
    parser.add_argument("--budgets", nargs="+", default=["tenth", "paper"], choices=list(BUDGETS))
    parser.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument("--workers", type=int, default=2, help="Dask worker processes, one thread each (0: serial)")
    parser.add_argument("--records", type=Path, default=RECORDS, help=argparse.SUPPRESS)
    parser.add_argument("--summarize", action="store_true", help="write results/compare_surrogate.json and the plot")
    args = parser.parse_args(argv)
    if not args.summarize:
        campaign(args.table, args.budgets, args.methods, args.seeds, args.workers, args.records)
        return None
    from tsenas_pymoo.bench.table import load_table

    rows = read(args.records)
    bench = load_table(args.table)
    summary = {
        "benchmark": "compare_surrogate",
        "command": "python -m benchmarks.experiments.compare_surrogate --summarize",
        "table": {"path": str(bench.path), "networks": len(bench.networks()), **bench.meta},
        "splits": {
            "selection": "each search: the surrogate's validation model plus the table's seed noise (its fitness)",
            "report": "the surrogate's test model, mean accuracy of each run's pick (never seen by a search)",
        },
        "unit": "evaluations: networks a real search would train (archive answers free)",
        "budgets": summarize(rows),
        "compute": compute(rows),
    }
    write_result(RESULTS / "compare_surrogate.json", summary)
    plot(rows, PLOTS / "compare_surrogate.png")
    return summary


if __name__ == "__main__":
    main()
