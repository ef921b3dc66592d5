"""The in-box fidelity study's summary: ``budget_fidelity.py --summarize`` writes
``results/budget_fidelity.json`` and ``plots/budget_fidelity.png`` from its records.

What a search sees of a network is one training: the fitnesses are seed 0's scores
(``cpu`` and ``rung`` on 1,000 pool images, as the preset and the finalist round score;
on 2,500 beside them), and the counted
``params`` and ``macs``. The target is the mean of a network's target seeds. Every Kendall
tau has a bootstrap interval over networks; the ceiling is the target's own noise,
simulated on these networks (and in closed form from its ICC(1)).
"""

from __future__ import annotations

import numpy as np

from benchmarks.common import PLOTS, RESULTS, write_result
from benchmarks.experiments.budget_fidelity import FINALISTS, RULE, SETTINGS, pending, tasks

OUT = RESULTS / "budget_fidelity.json"
FITNESSES = {
    "cpu": ("cpu", "1000"),
    "cpu_2500": ("cpu", "2500"),
    "rung": ("rung", "1000"),
    "rung_2500": ("rung", "2500"),
}
FAMILY = (("rung", "cpu"), ("cpu", "params"), ("cpu", "macs"))


def scores(records: list[dict], setting: str, score: str) -> dict[str, dict[int, float]]:
    """key -> seed -> accuracy of one setting's ``score``."""
    out: dict[str, dict[int, float]] = {}
    for r in records:
        if r["setting"] == setting and r["status"] == "ok":
            out.setdefault(r["key"], {})[r["seed"]] = r["accuracy"][score]
    return out


def costs(records: list[dict]) -> dict[str, dict]:
    return {r["key"]: {"params": r["params"], "macs": r["macs"], "width": r["width"]} for r in records}


def repeatability(table: dict[str, dict[int, float]]) -> dict | None:
    from tsenas_pymoo.analysis.fidelity import icc1

    pairs = np.array([[v[0], v[1]] for v in table.values() if 0 in v and 1 in v])
    return icc1(pairs) if len(pairs) >= 3 else None


def progress(records: list[dict], nets: list[dict], keys: list[str]) -> tuple[dict, str]:
    """(task counts, verdict): ``complete`` only once every planned task has its record and
    every network every score; the decision counts only from a complete study."""
    planned = tasks(nets)
    count = len(planned) - len(pending(records, nets))
    counts = {"planned": len(planned), "done": count}
    if count == len(planned) and len(keys) == len(nets):
        return counts, "complete"
    return counts, f"partial: {count} of {len(planned)} tasks, {len(keys)} of {len(nets)} networks with every score"


def summarize(records: list[dict], nets: list[dict]) -> dict:
    from tsenas_pymoo.analysis.comparison import holm
    from tsenas_pymoo.analysis.fidelity import (
        finalist_gain,
        kendall_ceiling,
        kendall_interval,
        paired_kendall,
        simulated_ceiling,
    )

    target = scores(records, "target", "test")
    cost = costs(records)
    fitness = {name: {k: v[0] for k, v in scores(records, *spec).items() if 0 in v} for name, spec in FITNESSES.items()}
    fitness["params"] = {k: c["params"] for k, c in cost.items()}
    fitness["macs"] = {k: c["macs"] for k, c in cost.items()}
    keys = [n["key"] for n in nets if n["key"] in target and all(n["key"] in f for f in fitness.values())]
    task_counts, verdict = progress(records, nets, keys)
    out: dict = {
        "networks": {"planned": len(nets), "complete": len(keys)},
        "tasks": task_counts,
        "rule": RULE,
        "settings": SETTINGS,
        "splits": {
            "selection": "fitnesses score 1,000 or 2,500 images of a 10,000-image validation pool",
            "report": "the target scores the 10,000 test images no selection sees",
        },
    }
    out["box"] = {
        name: {"min": int(min(c[name] for c in cost.values())), "max": int(max(c[name] for c in cost.values()))}
        for name in ("params", "macs")
    } | {"width": {"min": min(c["width"] for c in cost.values()), "max": max(c["width"] for c in cost.values())}}
    out["repeatability"] = {
        "target": repeatability(target),
        "cpu": repeatability(scores(records, "cpu", "1000")),
        "rung": repeatability(scores(records, "rung", "1000")),
    }
    if len(keys) < 5:
        out["verdict"] = f"too few networks with every score ({len(keys)}); rule: at least 5"
        return out
    t = np.array([np.mean(list(target[k].values())) for k in keys])
    values = {name: np.array([f[k] for k in keys], float) for name, f in fitness.items()}
    out["target"] = {"median": float(np.median(t)), "min": float(t.min()), "max": float(t.max())}
    out["kendall"] = {name: kendall_interval(v, t) for name, v in values.items()}
    target_icc = out["repeatability"]["target"]
    if target_icc:
        seeds = [len(target[k]) for k in keys]
        out["ceiling"] = {
            "simulated": simulated_ceiling(t, target_icc["seed_sd"], seeds),
            "closed_form": kendall_ceiling(target_icc["icc1"], seeds) if target_icc["icc1"] > 0 else None,
        }
    tests = [paired_kendall(values[a], values[b], t) for a, b in FAMILY]
    for test, adjusted in zip(tests, holm([x["p"] for x in tests])):
        test["holm_p"] = adjusted
    out["paired"] = {f"{a} vs {b}": test for (a, b), test in zip(FAMILY, tests)}
    n = min(20, len(keys))
    out["finalist_round"] = finalist_gain(values["cpu"], values["rung"], t, n=n, top=min(FINALISTS, n))
    rung_vs_cpu = out["paired"]["rung vs cpu"]
    adopt = rung_vs_cpu["difference"] > 0 and rung_vs_cpu["holm_p"] < 0.05 and out["finalist_round"]["gain"] > 0
    out["decision"] = {
        "finalist_round_default": bool(adopt),
        "read": (
            f"tau(rung) - tau(cpu) = {rung_vs_cpu['difference']:+.3f} (Holm p {rung_vs_cpu['holm_p']:.3f}); "
            f"simulated finalist gain {out['finalist_round']['gain']:+.4f}"
        ),
    }
    out["verdict"] = verdict
    return out


def plot(summary: dict, records: list[dict], nets: list[dict], path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if "kendall" not in summary:
        return
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    names = list(summary["kendall"])
    taus = [summary["kendall"][n] for n in names]
    x = np.arange(len(names))
    left.errorbar(
        x,
        [t["kendall"] for t in taus],
        yerr=[[t["kendall"] - t["low"] for t in taus], [t["high"] - t["kendall"] for t in taus]],
        fmt="o",
        capsize=4,
    )
    ceiling = summary.get("ceiling", {}).get("simulated")
    if ceiling:
        left.axhspan(ceiling["kendall"] - ceiling["sd"], ceiling["kendall"] + ceiling["sd"], color="grey", alpha=0.3)
        left.axhline(ceiling["kendall"], color="black", ls=":", lw=0.8, label="ceiling (target noise, simulated)")
        left.legend(loc="lower right", fontsize=8)
    left.axhline(0, color="black", lw=0.5)
    left.set_xticks(x, names)
    left.set_ylabel("Kendall tau vs target (95 % interval)")
    left.set_title(f"inside the budget box, {summary['networks']['complete']} networks")
    target = scores(records, "target", "test")
    cpu = scores(records, "cpu", "1000")
    keys = [n["key"] for n in nets if n["key"] in target and 0 in cpu.get(n["key"], {})]
    right.scatter([cpu[k][0] for k in keys], [np.mean(list(target[k].values())) for k in keys], s=14)
    right.set_xlabel("cpu fitness (1 epoch, 2,400 images; 1,000 pool images)")
    right.set_ylabel("target test accuracy (10 epochs, 10,000 images)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def summarize_to_files(records: list[dict], nets: list[dict]) -> dict:
    summary = summarize(records, nets)
    write_result(OUT, summary)
    plot(summary, records, nets, PLOTS / "budget_fidelity.png")
    print(summary.get("verdict"), summary.get("decision", {}).get("read", ""))
    return summary
