"""Which space reaches the baselines' budget? (issue 49, the design choice; no training)

The hand-designed baselines of Table III sit at about 300,000 parameters and 35 M MACs on
28x28 Fashion-MNIST. For each candidate design, 300 Alg. 3 networks (seed 0) are counted
(``cost_by_parts``, exact) and the shares that fit the budget, that use the binding limit
to at least 90 % and that use both limits to at least 90 % (what Table III at equal
parameters and MACs needs) are reported, with the median use of each limit and the use by
number of reduction cells:

* ``today``: the ``cpu`` preset's box: width 8, N 3-6, free reductions (what landed);
* ``fixed-width``: the widest single width that keeps half of the free N 4-10 networks in budget;
* ``iso-budget``: each network at its own widest width within budget (``BudgetWidth``), N 4-10;
* ``iso-budget + skeleton``: the same inside the baselines' skeleton, N = 8, reductions at 3 and 6.

    python -m benchmarks.experiments.budget_space    # results/budget_space.json
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import NO_SELECTION, no_options, result_path, write_result

SHAPE, CLASSES, SAMPLES = (1, 28, 28), 10, 300
BUDGET = {"max_params": 300_000, "max_macs": 35_000_000}


def use(genomes, width) -> list[dict]:
    """Each network's reductions and its use of each limit (cost / limit) at ``width``."""
    from tsenas_pymoo.space.cost import cost_by_parts

    rows = []
    for genome in genomes:
        cost = cost_by_parts(genome, SHAPE, CLASSES, width)
        rows.append(
            {
                "reductions": genome.n_reductions,
                "params": cost["params"] / BUDGET["max_params"],
                "macs": cost["macs"] / BUDGET["max_macs"],
            }
        )
    return rows


def describe(rows: list[dict]) -> dict:
    params, macs = np.array([r["params"] for r in rows]), np.array([r["macs"] for r in rows])
    fits = (params <= 1) & (macs <= 1)
    by_reductions = {}
    for k in sorted({r["reductions"] for r in rows}):
        mask = np.array([r["reductions"] == k for r in rows])
        by_reductions[str(k)] = {
            "networks": int(mask.sum()),
            "params_use_median": float(np.median(params[mask])),
            "macs_use_median": float(np.median(macs[mask])),
        }
    return {
        "networks": len(rows),
        "fit_share": float(fits.mean()),
        "binding_within_10pct_share": float((fits & (np.maximum(params, macs) >= 0.9)).mean()),
        "both_within_10pct_share": float((fits & (params >= 0.9) & (macs >= 0.9)).mean()),
        "both_within_20pct_share": float((fits & (params >= 0.8) & (macs >= 0.8)).mean()),
        "params_use_median": float(np.median(params)),
        "macs_use_median": float(np.median(macs)),
        "max_macs_use": float(macs.max()),
        "by_reductions": by_reductions,
    }


def main() -> None:
    no_options(__doc__)
    from tsenas_pymoo.operators.sampling import sample_genome
    from tsenas_pymoo.space.width import Budget, BudgetWidth, Skeleton

    def sample(n_min, n_max, skeleton=None):
        rng = np.random.default_rng(0)
        return [sample_genome(rng, n_min, n_max, SHAPE, skeleton) for _ in range(SAMPLES)]

    rule = BudgetWidth(Budget(**BUDGET), SHAPE, CLASSES)
    free = sample(4, 10)
    # the widest single width that keeps half of the free networks within budget
    widths = [w for w in range(4, 40) if np.mean([r["params"] <= 1 and r["macs"] <= 1 for r in use(free, w)]) >= 0.5]
    fixed = max(widths)
    designs = {
        "today": {"width": 8, "n": "3-6", **describe(use(sample(3, 6), 8))},
        "fixed-width": {"width": fixed, "n": "4-10", **describe(use(free, fixed))},
        "iso-budget": {"width": "per network", "n": "4-10", **describe([use([g], rule)[0] for g in free])},
        "iso-budget + skeleton": {
            "width": "per network",
            "n": "8, reductions at 3 and 6",
            **describe([use([g], rule)[0] for g in sample(8, 8, Skeleton.parse("8:3,6"))]),
        },
    }
    path = write_result(
        result_path("budget_space"),
        {"budget": BUDGET, "input_shape": SHAPE, "samples": SAMPLES, "designs": designs, "splits": NO_SELECTION},
    )
    for name, d in designs.items():
        print(
            f"{name:24s} fit {d['fit_share']:.2f}  binding>=90% {d['binding_within_10pct_share']:.2f}  "
            f"both>=90% {d['both_within_10pct_share']:.2f}  params {d['params_use_median']:.2f}  "
            f"macs {d['macs_use_median']:.2f}"
        )
    print(path)


if __name__ == "__main__":
    main()
