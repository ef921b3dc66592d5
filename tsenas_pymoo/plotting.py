"""Fig. 4a (best and mean accuracy per generation) and Fig. 4b (population accuracy vs
parameters in generation blocks), from a pymoo Result, a ``BestAccuracyCallback``, a run
directory, or several of them (to overlay runs or algorithms)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def generation_records(source: Any) -> list[dict]:
    """The per-generation records of a Result, callback, run directory or records list."""
    if isinstance(source, (str, Path)):
        log = Path(source) / "log.jsonl"
        if not log.is_file():
            raise FileNotFoundError(f"run directory {source}: no log.jsonl; rule: a folder written by tsenas search")
        return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    if hasattr(source, "records"):
        return list(source.records)
    data = getattr(source, "data", None)
    if isinstance(data, dict) and "generations" in data:
        return list(data["generations"])
    algorithm = getattr(source, "algorithm", None)
    if algorithm is not None and hasattr(algorithm.callback, "records"):
        return list(algorithm.callback.records)
    if isinstance(source, list) and all(isinstance(r, dict) for r in source):
        return source
    raise ValueError(f"cannot read generations from {type(source).__name__}; rule: a pymoo Result of TSENAS "
                     f"(or with a BestAccuracyCallback), a BestAccuracyCallback, or a run directory")


def _sources(source, labels):
    if isinstance(source, (list, tuple)) and source and not isinstance(source[0], dict):
        sources = list(source)
    else:
        sources = [source]
    labels = list(labels) if labels is not None else [
        Path(s).name if isinstance(s, (str, Path)) else f"run {i + 1}" for i, s in enumerate(sources)]
    return sources, labels


def plot_convergence(source: Any, labels: Sequence[str] | None = None, ax=None):
    """Best (solid) and mean (dashed) validation accuracy per generation; a dotted line
    marks where stage 2 starts. ``source`` may be a list to overlay runs."""
    sources, labels = _sources(source, labels)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    for src, label, color in zip(sources, labels, plt.rcParams["axes.prop_cycle"].by_key()["color"] * 10):
        records = generation_records(src)
        gens = [r["n_gen"] for r in records]
        ax.plot(gens, [r["best_accuracy"] for r in records], color=color, lw=2, label=f"{label} best")
        ax.plot(gens, [r["mean_accuracy"] for r in records], color=color, lw=1, ls="--", label=f"{label} mean")
        switch = [r["n_gen"] for r in records if r.get("stage", 1) == 2]
        if switch:
            ax.axvline(switch[0] - 0.5, color=color, ls=":", lw=1)
            ax.text(switch[0] - 0.4, ax.get_ylim()[0], " stage 2", color=color, va="bottom", fontsize=8)
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("generation")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Best and mean accuracy per generation (Fig. 4a)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_trajectory(source: Any, blocks: int = 5, ax=None):
    """Population accuracy vs parameters, coloured by blocks of generations (Fig. 4b)."""
    records = generation_records(source[0] if isinstance(source, (list, tuple)) and source
                                 and not isinstance(source[0], dict) else source)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    n = len(records)
    edges = np.linspace(0, n, min(blocks, n) + 1).astype(int)
    cmap = plt.get_cmap("viridis")
    for b in range(len(edges) - 1):
        pts = [(p, a) for r in records[edges[b]:edges[b + 1]] for a, p in r["population"] if p is not None]
        if not pts:
            continue
        params, acc = zip(*pts)
        first, last = records[edges[b]]["n_gen"], records[edges[b + 1] - 1]["n_gen"]
        ax.scatter(params, acc, s=14, alpha=0.7, color=cmap(b / max(1, len(edges) - 2)),
                   label=f"gen {first}-{last}")
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Population trajectory (Fig. 4b)")
    if ax.collections:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no parameter counts recorded\n(the evaluator reported none)", ha="center",
                va="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig


def save_plots(run_dir: str | Path) -> list[Path]:
    """Write convergence.png and trajectory.png into a run directory."""
    run_dir = Path(run_dir)
    paths = []
    plots = [("convergence.png", plot_convergence), ("trajectory.png", plot_trajectory)]
    if "front" in generation_records(run_dir)[-1]:
        plots += [("pareto.png", plot_pareto), ("hypervolume.png", plot_hypervolume)]
    for name, func in plots:
        fig = func(run_dir)
        fig.savefig(run_dir / name, dpi=120)
        plt.close(fig)
        paths.append(run_dir / name)
    return paths


def plot_pareto(source: Any, reference_points: dict[str, tuple[float, float]] | None = None,
                labels: Sequence[str] | None = None, ax=None, second: str = "params"):
    """The final non-dominated front (error vs ``second``), with hand-designed reference
    networks as labelled points ``{name: (error, params)}``; several sources overlay."""
    sources, labels = _sources(source, labels)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    for src, label in zip(sources, labels):
        records = generation_records(src)
        if "front" not in records[-1]:
            raise ValueError(f"{label}: no front recorded; rule: a run on a two-objective TSENASProblem")
        front = np.array(sorted(records[-1]["front"], key=lambda p: p[1]))
        ax.step(front[:, 1], front[:, 0], where="post", marker="o", label=f"{label} (HV "
                f"{records[-1]['hypervolume']:.3f})")
    for name, (err, params) in (reference_points or {}).items():
        ax.scatter([params], [err], marker="*", s=120, color="black")
        ax.annotate(name, (params, err), textcoords="offset points", xytext=(5, 5), fontsize=8)
    ax.set_xlabel(second)
    ax.set_ylabel("validation error")
    ax.set_title("Final non-dominated front")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_hypervolume(source: Any, labels: Sequence[str] | None = None, ax=None):
    """Hypervolume of the front per generation (two-objective runs)."""
    sources, labels = _sources(source, labels)
    fig, ax = (ax.figure, ax) if ax is not None else plt.subplots(figsize=(6, 4))
    for src, label in zip(sources, labels):
        records = [r for r in generation_records(src) if "hypervolume" in r]
        ax.plot([r["n_gen"] for r in records], [r["hypervolume"] for r in records], marker="o", label=label)
    ax.set_xlabel("generation")
    ax.set_ylabel("hypervolume (normalized)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
