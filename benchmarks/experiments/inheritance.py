"""Weight inheritance against training from scratch, on the offspring of a real stage-1
generation on Fashion-MNIST (issue: "weight inheritance that pays for itself").

Set-up (the same for every arm): the Fashion-MNIST proxy (a seeded stratified subset of
``--train-subset`` images at ``--resolution`` pixels), width ``--width``. A covering
SuperNet is trained and exported (Alg. 2 lines 2-3); TS-ENAS runs ``--generation``
generations of a search (P = ``--pop``, ``--parent-epochs`` per network, lineage
inheritance, the library's default warm start; ``--tune`` measures generation 1 with the
plain schedule); then TS-ENAS makes the last population's P offspring (crossover and
mutation) and notes their parents. Each child is trained:

* from scratch for 1, 2, 4 and 8 epochs (``none``; the same seeded initialization);
* for 1 and 2 epochs in each inheritance arm: ``store`` (the paper's cell store),
  ``lineage`` (parents' trained units, then the store), ``lineage-cover`` (lineage with a
  store from the SuperNet without coverage), ``lineage-warm`` (lineage with the plain
  schedule instead of the warm start).

Reported per arm: mean accuracy per epoch count; paired differences against scratch with
a bootstrap 95 % interval; "epochs saved" (the largest k with inherited-after-1-epoch
mean >= scratch-after-k mean); Kendall's tau of each proxy against scratch-8.

``--tune`` (development seed, default 100): only 1-epoch lineage runs for each candidate
warm-start schedule, to choose the default; the report runs on other seeds.

    python benchmarks/experiments/inheritance.py --quick          # seed 0, results/inheritance_fmnist.json
    python benchmarks/experiments/inheritance.py --tune --quick   # seed 100, results/inheritance_fmnist_tune.json
    python benchmarks/experiments/inheritance.py --quick --generation 6   # results/inheritance_fmnist_gen6.json

Children's rows are written as they finish; a rerun with the same settings rebuilds the
parents (deterministic) and skips finished children.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from tsenas_pymoo import TSENAS, TSENASProblem
from tsenas_pymoo.evaluation import TorchEvaluator, load_dataset
from tsenas_pymoo.evaluation.lineage import WarmStart

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/: common.py
from common import RESULTS, ROOT

SCRATCH = (1, 2, 4, 8)
INHERITED = (1, 2)
PLAIN = WarmStart(lr_scale=1.0, warmup=0.0)
#: Plot and README labels of the arms (the keys are the results file's).
LABELS = {
    "store": "store (the paper's)",
    "lineage": "lineage",
    "lineage-cover": "lineage, SuperNet without cover",
    "lineage-warm": "lineage, plain schedule",
}
CANDIDATES = [
    WarmStart(1.0, 0.0),
    WarmStart(0.5, 0.0),
    WarmStart(0.3, 0.0),
    WarmStart(0.1, 0.0),
    WarmStart(0.3, 0.2),
    WarmStart(1.0, 0.2),
]


def make_generation(args, data, work: Path):
    """Train the SuperNets, the initial population and make its offspring. Returns the
    stores (covering and not), the children and each child's parents."""
    common = dict(
        epochs=args.parent_epochs,
        init_channels=args.width,
        seed=args.seed,
        device=args.device,
        lr=args.lr,
        warm_start=PLAIN if args.tune else WarmStart(),
    )
    ev = TorchEvaluator(data, store=work / "store", **common)
    t0 = time.perf_counter()
    info = {"cover": ev.train_supernet(epochs=args.supernet_epochs)}
    problem = TSENASProblem(ev, n_min=3, n_max=6)
    algorithm = TSENAS(pop_size=args.pop, fine_size=2, stage1_gens=args.generation + 1, stage2_gens=0)
    algorithm.setup(problem, seed=args.seed)
    for _ in range(args.generation):  # generation 1: Alg. 3; then offspring; Steps 1-4 and retain each
        algorithm.next()
    parents_acc = [float(a) for a in algorithm.pop.get("accuracy")]
    off = algorithm.infill()
    children = [problem.decode(x) for x in off.get("X")]
    parents = {c.key(): ev.parents_of(c) for c in children}
    # the same trained parents over a store from the SuperNet without coverage
    plain = TorchEvaluator(data, store=work / "store_nocover", **common)
    shutil.copytree(work / "store" / "trained", work / "store_nocover" / "trained", dirs_exist_ok=True)
    info["nocover"] = plain.train_supernet(epochs=args.supernet_epochs, cover=False)
    plain.update_store(
        [(problem.decode(x), float(a)) for x, a in zip(algorithm.pop.get("X"), algorithm.pop.get("accuracy"))]
    )
    info = {k: {"units": v["units"], "losses": v["losses"], "status": v["status"]} for k, v in info.items()}
    return (
        {
            "supernet": info,
            "parents_accuracy": parents_acc,
            "seconds": time.perf_counter() - t0,
            "n_mutated": sum(len(p) == 1 for p in parents.values()),
        },
        children,
        parents,
    )


def arms(args, data, work: Path, warm: WarmStart):
    common = dict(init_channels=args.width, seed=args.seed, device=args.device, lr=args.lr)
    if args.tune:
        return {
            f"lineage lr x{w.lr_scale} warmup {w.warmup}": TorchEvaluator(
                data, store=work / "store", warm_start=w, **common
            )
            for w in CANDIDATES
        }
    return {
        "store": TorchEvaluator(data, store=work / "store", inheritance="store", warm_start=warm, **common),
        "lineage": TorchEvaluator(data, store=work / "store", warm_start=warm, **common),
        "lineage-cover": TorchEvaluator(data, store=work / "store_nocover", warm_start=warm, **common),
        "lineage-warm": TorchEvaluator(data, store=work / "store", warm_start=PLAIN, **common),
    }


def run_child(args, child, parents, scratch, arm_evs) -> dict:
    row = {"genome": child.key(), "n_parents": len(parents), "scratch": {}, "arms": {}}
    for e in (1,) if args.tune else SCRATCH:
        row["scratch"][e] = scratch.train_genome(child, epochs=e)["accuracy"]
    for name, ev in arm_evs.items():
        row["arms"][name] = {}
        for e in (1,) if args.tune else INHERITED:
            r = ev.train_genome(child, epochs=e, parents=parents)
            row["arms"][name][e] = r["accuracy"]
            row["arms"][name]["sources"] = r["sources"]
            row["arms"][name]["lr"] = r["lr"]
    return row


def summarize(rows, names, tune: bool, seed: int) -> dict:
    from scipy.stats import kendalltau

    scratch = {e: np.array([float(r["scratch"][str(e)]) for r in rows]) for e in ((1,) if tune else SCRATCH)}
    out = {"scratch_mean": {e: float(v.mean()) for e, v in scratch.items()}, "arms": {}}
    rng = np.random.default_rng(seed)
    for name in names:
        arm = {e: np.array([float(r["arms"][name][str(e)]) for r in rows]) for e in ((1,) if tune else INHERITED)}
        summary = {
            "mean": {e: float(v.mean()) for e, v in arm.items()},
            "median": {e: float(np.median(v)) for e, v in arm.items()},
            "sources_mean": {
                s: statistics.mean(r["arms"][name]["sources"][s] for r in rows) for s in ("parent", "store", "fresh")
            },
            "vs_scratch": {},
        }
        for e, v in arm.items():
            for k, base in scratch.items():
                summary["vs_scratch"][f"inherited{e}_minus_scratch{k}"] = _paired(v - base, rng)
        if not tune:
            saved = [k for k in SCRATCH if arm[1].mean() >= scratch[k].mean()]
            summary["epochs_saved"] = max(saved) if saved else 0
            summary["kendall_tau_vs_scratch8"] = {e: float(kendalltau(v, scratch[8]).statistic) for e, v in arm.items()}
        out["arms"][name] = summary
    if not tune:
        out["scratch_kendall_tau_vs_scratch8"] = {
            k: float(kendalltau(scratch[k], scratch[8]).statistic) for k in (1, 2, 4)
        }
        out["lineage_minus_arm"] = _lineage_minus(rows, [n for n in names if n != "lineage"], rng)
    return out


def _lineage_minus(rows, others, rng) -> dict:
    """Paired lineage - arm differences per epoch count: mean, bootstrap 95 % interval,
    Wilcoxon signed-rank p."""
    from scipy.stats import wilcoxon

    out = {}
    for name in others:
        for e in INHERITED:
            diff = np.array([float(r["arms"]["lineage"][str(e)]) - float(r["arms"][name][str(e)]) for r in rows])
            out[f"{name}_{e}ep"] = dict(
                _paired(diff, rng), wilcoxon_p=float(wilcoxon(diff).pvalue) if np.any(diff) else 1.0
            )
    return out


def _paired(diff: np.ndarray, rng) -> dict:
    """Mean of paired differences with its bootstrap 95 % interval (percentile)."""
    from scipy.stats import bootstrap

    ci = bootstrap(
        (diff,), np.mean, confidence_level=0.95, random_state=rng, method="percentile", n_resamples=5000
    ).confidence_interval
    return {"mean": float(diff.mean()), "ci95": [float(ci.low), float(ci.high)]}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="16 children (the default is 24)")
    parser.add_argument("--tune", action="store_true", help="choose the warm start on a development seed")
    parser.add_argument("--seed", type=int, default=None, help="default: 0, or 100 with --tune")
    parser.add_argument("--train-subset", type=int, default=5000)
    parser.add_argument("--resolution", type=int, default=14)
    parser.add_argument("--width", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--supernet-epochs", type=int, default=3)
    parser.add_argument("--parent-epochs", type=int, default=2)
    parser.add_argument(
        "--generation",
        type=int,
        default=None,
        help="the children are the offspring of this generation's population (default 3; 1 with --tune)",
    )
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--lr-scale", type=float, default=None, help="warm start of the report (default: WarmStart())")
    parser.add_argument("--warmup", type=float, default=None)
    args = parser.parse_args(argv)
    args.seed = (100 if args.tune else 0) if args.seed is None else args.seed
    args.pop = 16 if args.quick else 24
    args.generation = (1 if args.tune else 3) if args.generation is None else args.generation
    default = WarmStart()
    warm = WarmStart(
        args.lr_scale if args.lr_scale is not None else default.lr_scale,
        args.warmup if args.warmup is not None else default.warmup,
    )
    name = "inheritance_fmnist" + ("_tune" if args.tune else "") + ("" if args.quick else "_full")
    name += "" if args.generation == (1 if args.tune else 3) else f"_gen{args.generation}"
    path = RESULTS / f"{name}.json"
    settings = {
        "dataset": "fashion-mnist",
        "train_subset": args.train_subset,
        "resolution": args.resolution,
        "init_channels": args.width,
        "lr": args.lr,
        "batch_size": 128,
        "seed": args.seed,
        "pop": args.pop,
        "supernet_epochs": args.supernet_epochs,
        "parent_epochs": args.parent_epochs,
        "generation": args.generation,
        "parent_schedule": (PLAIN if args.tune else WarmStart()).to_dict(),
        "warm_start": None if args.tune else warm.to_dict(),
        "device": args.device,
        "tune": args.tune,
    }
    old = json.loads(path.read_text()) if path.exists() else {}
    rows = old.get("rows", []) if old.get("settings") == settings else []
    data = load_dataset("fashion-mnist", seed=args.seed, train_subset=args.train_subset, resolution=args.resolution)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        generation, children, parents = make_generation(args, data, work)
        print(
            f"generation: {generation['seconds']:.0f} s, parents mean {np.mean(generation['parents_accuracy']):.3f}, "
            f"{len(children)} children ({generation['n_mutated']} by mutation)",
            flush=True,
        )
        scratch = TorchEvaluator(
            data, inheritance="none", init_channels=args.width, seed=args.seed, device=args.device, lr=args.lr
        )
        arm_evs = arms(args, data, work, warm)
        done = {r["genome"] for r in rows}
        for child in children:
            if child.key() in done:
                continue
            row = json.loads(json.dumps(run_child(args, child, parents[child.key()], scratch, arm_evs)))
            rows.append(row)
            print(
                f"{child.key():40s} scratch "
                + " ".join(f"{v:.3f}" for v in row["scratch"].values())
                + " | "
                + " | ".join(
                    f"{n} " + " ".join(f"{row['arms'][n][str(e)]:.3f}" for e in ((1,) if args.tune else INHERITED))
                    for n in arm_evs
                ),
                flush=True,
            )
            out = {"settings": settings, "generation": generation, "rows": rows}
            path.write_text(json.dumps(out, indent=1))
    out = {
        "settings": settings,
        "generation": generation,
        "rows": rows,
        "summary": summarize(rows, list(arm_evs), args.tune, args.seed),
        "wall_seconds_this_run": time.perf_counter() - start,
        "cores": _cores(),
    }
    path.write_text(json.dumps(out, indent=1))
    report(out)
    if not args.tune:
        plot(out, ROOT / "plots" / f"{name}.png")


def resummarize(name: str = "inheritance_fmnist"):
    """Recompute the summary of benchmarks/results/NAME.json from its rows (no training)."""
    path = RESULTS / f"{name}.json"
    out = json.loads(path.read_text())
    out["summary"] = summarize(
        out["rows"], list(out["rows"][0]["arms"]), out["settings"]["tune"], out["settings"]["seed"]
    )
    path.write_text(json.dumps(out, indent=1))
    report(out)


def replot(name: str = "inheritance_fmnist"):
    """Redraw plots/NAME.png from benchmarks/results/NAME.json."""
    plot(json.loads((RESULTS / f"{name}.json").read_text()), ROOT / "plots" / f"{name}.png")


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0))


def report(out):
    s = out["summary"]
    print("scratch means", {e: round(v, 3) for e, v in s["scratch_mean"].items()})
    for name, arm in s["arms"].items():
        line = f"{name:32s} mean " + " ".join(f"{e}ep {v:.3f}" for e, v in arm["mean"].items())
        line += "  sources " + " ".join(f"{k} {v:.2f}" for k, v in arm["sources_mean"].items())
        if "epochs_saved" in arm:
            line += f"  saved {arm['epochs_saved']}  tau " + " ".join(
                f"{e}ep {v:.2f}" for e, v in arm["kendall_tau_vs_scratch8"].items()
            )
        print(line)
    if "scratch_kendall_tau_vs_scratch8" in s:
        print("scratch tau vs scratch-8", {k: round(v, 2) for k, v in s["scratch_kendall_tau_vs_scratch8"].items()})


def plot(out, path: Path):
    from matplotlib.figure import Figure

    out = json.loads(json.dumps(out))  # epoch keys as strings, as in the file
    s = out["summary"]
    fig = Figure(figsize=(6.5, 4.2))
    ax = fig.add_subplot()
    ax.plot(SCRATCH, [s["scratch_mean"][str(k)] for k in SCRATCH], "o-", color="tab:gray", lw=2, label="scratch")
    for (name, arm), color in zip(s["arms"].items(), ("tab:orange", "tab:blue", "tab:green", "tab:purple")):
        ax.plot(INHERITED, [arm["mean"][str(e)] for e in INHERITED], "s--", color=color, label=LABELS.get(name, name))
    ax.set_xscale("log", base=2)
    ax.minorticks_off()
    ax.set_xticks(SCRATCH, [str(k) for k in SCRATCH])
    ax.set_xlabel("epochs of short training")
    st = out["settings"]
    ax.set_ylabel("mean validation accuracy")
    ax.set_title(
        f"{len(out['rows'])} offspring, Fashion-MNIST {st['train_subset']} at {st['resolution']}px, "
        f"width {st['init_channels']}",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
