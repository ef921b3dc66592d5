"""Fig. 4a (best and mean accuracy per generation) and Fig. 4b (population accuracy vs
parameters in generation blocks), from a pymoo Result, a ``GenerationRecorder``, a run
directory, or several of them (to overlay runs or algorithms).

Every function returns a ``matplotlib.figure.Figure`` (or draws on the ``ax`` given) and
never touches pyplot's state or the backend: importing this module leaves the user's
session (Jupyter included) as it was. ``fig.savefig(...)`` writes it; in Jupyter it shows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure

from .config import finite_number


def _figure(ax, figsize=(6, 4)):
    """(figure, axes): the given axes' figure, else a new pyplot-free Figure."""
    if ax is not None:
        return ax.figure, ax
    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot()


def _check_record(record, where: str) -> None:
    """One line naming the field and the rule for a log line the plots cannot read."""
    rule = "rule: a log written by tsenas search"
    if not isinstance(record, dict):
        raise ValueError(f"{where}: a {type(record).__name__}, not an object; {rule}")
    for name in ("n_gen", "best_accuracy", "mean_accuracy"):
        if not finite_number(record.get(name)):
            raise ValueError(
                f"{where}: {name}={record.get(name)!r}; rule: a finite number (a log written by tsenas search)"
            )
    if record.get("stage", 1) not in (1, 2):
        raise ValueError(f"{where}: stage={record.get('stage')!r}; rule: 1 or 2")
    population = record.get("population")
    if not isinstance(population, list) or not all(
        isinstance(p, list) and len(p) == 2 and finite_number(p[0]) and (p[1] is None or finite_number(p[1]))
        for p in population
    ):
        raise ValueError(f"{where}: population is not a list of [accuracy, params] pairs; {rule}")
    for name in ("front",):
        if name in record and not (
            isinstance(record[name], list)
            and all(isinstance(p, list) and len(p) == 2 and all(map(finite_number, p)) for p in record[name])
        ):
            raise ValueError(f"{where}: {name} is not a list of [error, cost] pairs; {rule}")
    if "hypervolume" in record and not finite_number(record["hypervolume"]):
        raise ValueError(f"{where}: hypervolume={record['hypervolume']!r}; rule: a finite number")


def generation_records(source: Any) -> list[dict]:
    """The per-generation records of a Result, callback, run directory or records list."""
    if isinstance(source, (str, Path)):
        log = Path(source) / "log.jsonl"
        if not log.is_file():
            raise FileNotFoundError(f"run directory {source}: no log.jsonl; rule: a folder written by tsenas search")
        try:
            records = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
        except json.JSONDecodeError as err:
            raise ValueError(f"{log}: a line is not JSON ({err}); rule: a log written by tsenas search") from None
        if not records:
            raise ValueError(f"{log} is empty; rule: plot after the search's first generation has finished")
        for line, record in enumerate(records, start=1):
            _check_record(record, f"{log} line {line}")
        return records
    if hasattr(source, "records"):
        return list(source.records)
    data = getattr(source, "data", None)
    if isinstance(data, dict) and "generations" in data:
        return list(data["generations"])
    algorithm = getattr(source, "algorithm", None)
    if algorithm is not None and hasattr(algorithm.callback, "records"):
        return list(algorithm.callback.records)
    history = getattr(source, "history", None)
    if isinstance(history, list) and history:  # minimize(..., save_history=True): a copy per generation
        from .search.algorithm import generation_record

        return [generation_record(copy) for copy in history]
    if isinstance(source, list) and all(isinstance(r, dict) for r in source):
        return source
    raise ValueError(
        f"cannot read generations from {type(source).__name__}; rule: a pymoo Result of TSENAS, or "
        f"of any algorithm run with save_history=True or a GenerationRecorder; a GenerationRecorder; "
        f"or a run directory"
    )


def _sources(source, labels):
    if isinstance(source, (list, tuple)) and source and not isinstance(source[0], dict):
        sources = list(source)
    else:
        sources = [source]
    labels = (
        list(labels)
        if labels is not None
        else [Path(s).name if isinstance(s, (str, Path)) else f"run {i + 1}" for i, s in enumerate(sources)]
    )
    return sources, labels


def plot_convergence(source: Any, labels: Sequence[str] | None = None, ax=None):
    """Best (solid) and mean (dashed) validation accuracy per generation; a dotted line
    marks where stage 2 starts. ``source`` may be a list to overlay runs."""
    sources, labels = _sources(source, labels)
    fig, ax = _figure(ax)
    for src, label, color in zip(sources, labels, matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] * 10):
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


def run_curve(run_dir: str | Path) -> dict:
    """One run directory's convergence: its algorithm (config.json), and per generation
    the best validation accuracy so far, the networks trained so far (archive rows up to
    that generation; the SuperNet is not counted) and the compute so far in million
    MAC-epochs (``--budget-unit mmac-epochs``: the SuperNet included; empty for an
    archive without MACs)."""
    import sqlite3

    from .search.budget import MacEpochs

    run_dir = Path(run_dir)
    records = generation_records(run_dir)
    config = run_dir / "config.json"
    try:
        algorithm = json.loads(config.read_text()).get("algorithm", "tsenas") if config.is_file() else "tsenas"
    except ValueError:
        raise ValueError(f"{config}: not JSON; rule: a config.json written by tsenas search") from None
    trained, compute = [], []
    archive = run_dir / "archive.sqlite"
    if archive.is_file():
        with sqlite3.connect(f"file:{archive}?mode=ro", uri=True) as conn:
            rows = [
                (g, m, e)
                for g, m, e in conn.execute("SELECT generation, macs, epochs FROM evaluations")
                if g is not None
            ]
        trained = [sum(1 for g, _, _ in rows if g <= r["n_gen"]) for r in records]
        if rows and all(m is not None for _, m, _ in rows):
            supernet = MacEpochs.of_run(run_dir).supernet()
            compute = [supernet + sum(m * (e or 0) for g, m, e in rows if g <= r["n_gen"]) / 1e6 for r in records]
    best = np.maximum.accumulate([r["best_accuracy"] for r in records])
    return {
        "algorithm": str(algorithm),
        "generation": [r["n_gen"] for r in records],
        "best": best.tolist(),
        "trained": trained,
        "compute": compute,
    }


PANELS = {
    "generation": "generation",
    "trained": "networks trained",
    "compute": "compute (million MAC-epochs, SuperNet included)",
}


def plot_compare(run_dirs: Sequence[str | Path], ax=None):
    """Several runs on one figure, grouped by algorithm: best validation accuracy so far
    per generation, per network trained and per million MAC-epochs (``PANELS``); a group
    of several runs (seeds) shows its median with the interquartile band."""
    curves = [run_curve(d) for d in run_dirs]
    if not curves:
        raise ValueError("plot_compare: no run directories given; rule: at least one")
    groups: dict[str, list[dict]] = {}
    for curve in curves:
        groups.setdefault(curve["algorithm"], []).append(curve)
    fig = Figure(figsize=(14, 4)) if ax is None else ax[0].figure
    axes = ax if ax is not None else fig.subplots(1, len(PANELS))
    colors = matplotlib.rcParams["axes.prop_cycle"].by_key()["color"] * 10
    for (name, runs), color in zip(sorted(groups.items()), colors):
        for panel, key in zip(axes, PANELS):
            if any(not r[key] for r in runs):
                continue
            grid = np.unique(np.concatenate([r[key] for r in runs]))
            # each run's best so far at every grid point: its last value at or before it
            table = np.array(
                [
                    [r["best"][i] if (i := np.searchsorted(r[key], x, side="right") - 1) >= 0 else np.nan for x in grid]
                    for r in runs
                ]
            )
            # a group's median starts where every run has a value: runs start at different
            # compute, and a median over the runs started so far would fall when one joins
            started = ~np.isnan(table).any(axis=0)
            grid, table = grid[started], table[:, started]
            label = f"{name} ({len(runs)} run{'s' if len(runs) > 1 else ''})"
            if len(runs) == 1:
                panel.step(grid, table[0], where="post", color=color, label=label)
                continue
            with np.errstate(all="ignore"):
                low, mid, high = np.nanpercentile(table, [25, 50, 75], axis=0)
            panel.step(grid, mid, where="post", color=color, label=f"{label}, median")
            panel.fill_between(grid, low, high, step="post", color=color, alpha=0.2)
    for panel, (key, label) in zip(axes, PANELS.items()):
        panel.set_xlabel(label)
        panel.set_ylabel("best validation accuracy so far")
        panel.legend(fontsize=8)
        if key in ("generation", "trained"):  # counts: whole-number ticks only
            panel.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    several = any(len(runs) > 1 for runs in groups.values())
    what = "median and interquartile band over seeds" if several else "one run each"
    fig.suptitle(f"Searches compared ({what})")
    fig.tight_layout()
    return fig


def plot_trajectory(source: Any, blocks: int = 5, ax=None):
    """Population accuracy vs parameters, coloured by blocks of generations (Fig. 4b)."""
    records = generation_records(
        source[0] if isinstance(source, (list, tuple)) and source and not isinstance(source[0], dict) else source
    )
    fig, ax = _figure(ax)
    n = len(records)
    edges = np.linspace(0, n, min(blocks, n) + 1).astype(int)
    cmap = matplotlib.colormaps["viridis"]
    for b in range(len(edges) - 1):
        pts = [(p, a) for r in records[edges[b] : edges[b + 1]] for a, p in r["population"] if p is not None]
        if not pts:
            continue
        params, acc = zip(*pts)
        first, last = records[edges[b]]["n_gen"], records[edges[b + 1] - 1]["n_gen"]
        label = f"gen {first}" if first == last else f"gen {first}-{last}"
        ax.scatter(params, acc, s=14, alpha=0.7, color=cmap(b / max(1, len(edges) - 2)), label=label)
    ax.set_xlabel("parameters")
    ax.set_ylabel("validation accuracy")
    ax.set_title("Population trajectory (Fig. 4b)")
    if ax.collections:
        ax.legend(fontsize=8)
    else:
        ax.text(
            0.5,
            0.5,
            "no parameter counts recorded\n(the evaluator reported none)",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    fig.tight_layout()
    return fig


def _save(fig, path: Path, dpi: int) -> None:
    """A figure into a run directory: rendered in memory, then written by a rename (never
    through a link at ``path``)."""
    import io

    from .rundir import atomic_write

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    atomic_write(path, buffer.getvalue())


def save_plots(run_dir: str | Path, cells: bool = False) -> list[Path]:
    """Write convergence.png and trajectory.png into a run directory (two objectives:
    also pareto.png and hypervolume.png; ``cells``: also cells.png, the cells of the best
    network in best_genotype.json)."""
    run_dir = Path(run_dir)
    paths = []
    plots = [("convergence.png", plot_convergence), ("trajectory.png", plot_trajectory)]
    if "front" in generation_records(run_dir)[-1]:
        plots += [("pareto.png", plot_pareto), ("hypervolume.png", plot_hypervolume)]
    from .rundir import refuse_links

    refuse_links(run_dir)
    for name, func in plots:
        _save(func(run_dir), run_dir / name, dpi=120)
        paths.append(run_dir / name)
    if cells:
        from .genotype import load_genotype

        genotype = run_dir / "best_genotype.json"
        if not genotype.is_file():
            raise FileNotFoundError(
                f"run directory {run_dir}: no best_genotype.json yet; rule: --cells needs a finished search"
            )
        _save(plot_cells(load_genotype(genotype)[0]), run_dir / "cells.png", dpi=110)
        paths.append(run_dir / "cells.png")
    return paths


def plot_pareto(
    source: Any,
    reference_points: dict[str, tuple[float, float]] | None = None,
    labels: Sequence[str] | None = None,
    ax=None,
    second: str = "params",
):
    """The final non-dominated front (error vs ``second``), with hand-designed reference
    networks as labelled points ``{name: (error, params)}``; several sources overlay."""
    sources, labels = _sources(source, labels)
    fig, ax = _figure(ax)
    for src, label in zip(sources, labels):
        records = generation_records(src)
        if "front" not in records[-1]:
            raise ValueError(f"{label}: no front recorded; rule: a run on a two-objective TSENASProblem")
        front = np.array(sorted(records[-1]["front"], key=lambda p: p[1]))
        ax.step(
            front[:, 1], front[:, 0], where="post", marker="o", label=f"{label} (HV {records[-1]['hypervolume']:.3f})"
        )
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
    fig, ax = _figure(ax)
    for src, label in zip(sources, labels):
        records = [r for r in generation_records(src) if "hypervolume" in r]
        ax.plot([r["n_gen"] for r in records], [r["hypervolume"] for r in records], marker="o", label=label)
    ax.set_xlabel("generation")
    ax.set_ylabel("hypervolume (normalized)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_cell(genome: Any, cell_index: int, ax=None, title: str | None = None):
    """The DAG of one cell (``cell_index`` counts from 1): the two inputs (free and
    previous), the intermediate nodes with an op on each incoming edge, and the output,
    which sums the live nodes that feed no other node. Pruned nodes are drawn hollow and
    grey. Pure matplotlib (no graphviz)."""
    from .space.cells import CELLS
    from .space.genome import EMPTY_NODE
    from .space.ops import OPS

    fine = genome.expand()
    if not 1 <= cell_index <= fine.n_cells:
        raise ValueError(f"cell_index={cell_index}; rule: 1 <= cell_index <= N={fine.n_cells}")
    cell = fine.cells[cell_index - 1]
    fig, ax = _figure(ax, figsize=(7, 3.2))
    # the slots the published cell uses (and any stage 2 filled): a slot it never used is
    # not drawn, a used one stage 2 emptied is drawn pruned
    filled = [i for i, node in enumerate(cell.nodes) if node != EMPTY_NODE]
    n = max(len(CELLS[cell.code].nodes), filled[-1] + 1 if filled else 0)
    pos = {0: (0.0, 1.0), 1: (0.0, -1.0), "out": (n + 1.0, 0.0)}
    pos.update({k: (k - 1.0, 0.9 if k % 2 else -0.9) for k in range(2, n + 2)})
    ax.set_xlim(-0.7, n + 1.7)
    ax.set_ylim(-1.6, 1.6)
    box = ax.get_window_extent()
    aspect = (box.height / 3.2) / (box.width / (n + 2.4))  # display units per data unit, y over x
    live = set(cell.live_nodes())
    for k in range(2, n + 2):
        node = cell.node(k)
        if node == EMPTY_NODE:
            continue
        for slot in (0, 1):
            source, op = node[slot], OPS[node[2 + slot]][0]
            ax.annotate(
                "",
                xy=pos[k],
                xytext=pos[source],
                arrowprops=dict(
                    arrowstyle="->",
                    color="tab:blue",
                    shrinkA=12,
                    shrinkB=12,
                    connectionstyle=f"arc3,rad={0.25 if slot else -0.25}",
                ),
            )
            (x0, y0), (x1, y1) = pos[source], pos[k]
            # the label on the arc's middle: arc3 bends by rad x the chord, in display units
            bend = 0.25 if slot else -0.25
            ax.text(
                (x0 + x1) / 2 + bend * (y1 - y0) * aspect / 2,
                (y0 + y1) / 2 - bend * (x1 - x0) / aspect / 2,
                op,
                fontsize=6.5,
                ha="center",
                va="center",
                color="tab:blue",
            )
    for k in cell.output_nodes():
        ax.annotate(
            "",
            xy=pos["out"],
            xytext=pos[k],
            arrowprops=dict(arrowstyle="->", color="gray", ls="--", shrinkA=12, shrinkB=12),
        )
    names = {0: "free", 1: "prev", "out": "out"}
    for key, (x, y) in pos.items():
        pruned = isinstance(key, int) and key >= 2 and key not in live
        ax.scatter(
            [x],
            [y],
            s=420,
            zorder=3,
            facecolors="white" if pruned else "lightsteelblue",
            edgecolors="gray" if pruned else "black",
            linestyles="--" if pruned else "-",
        )
        ax.text(
            x,
            y,
            names.get(key, str(key)),
            ha="center",
            va="center",
            fontsize=7,
            zorder=4,
            color="gray" if pruned else "black",
        )
        if pruned:
            ax.text(x, y - 0.35, "pruned", ha="center", fontsize=6, color="gray")
    ax.axis("off")
    edited = "" if cell.is_published else ", edited"
    ax.set_title(title or f"cell {cell_index}: {CELLS[cell.code].name}{edited}", fontsize=9)
    return fig


def plot_cells(genome: Any):
    """Every cell of ``genome`` (:func:`plot_cell`), one row each."""
    fine = genome.expand()
    fig = Figure(figsize=(7, 2.6 * fine.n_cells))
    for j in range(1, fine.n_cells + 1):
        plot_cell(fine, j, ax=fig.add_subplot(fine.n_cells, 1, j))
    fig.tight_layout()
    return fig
