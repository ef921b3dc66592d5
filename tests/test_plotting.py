import pytest
from PIL import Image
from pymoo.optimize import minimize

from tests.conftest import StandInEvaluator
from tsenas_pymoo import TSENAS, GenerationRecorder, TSENASProblem, plot_convergence, plot_trajectory
from tsenas_pymoo.plotting import generation_records


@pytest.fixture(scope="module")
def runs():
    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=6)
    res = minimize(problem, TSENAS(pop_size=8, fine_size=3, stage1_gens=3, stage2_gens=3), seed=0)
    callback = GenerationRecorder()
    minimize(problem, TSENAS(pop_size=8, fine_size=3, stage1_gens=4, stage2_gens=2), seed=1, callback=callback)
    return res, callback


def test_sources_and_overlay(runs, tmp_path):
    res, callback = runs
    assert len(generation_records(res)) == 7 and len(generation_records(callback)) == 7  # initial + T0 + T1
    fig = plot_convergence([res, callback], labels=["a", "b"])
    assert len(fig.axes[0].lines) >= 4
    fig.savefig(tmp_path / "c.png")
    plot_trajectory(res).savefig(tmp_path / "t.png")
    for name in ("c.png", "t.png"):
        Image.open(tmp_path / name).verify()


def test_trajectory_legend_names_one_generation_alone(runs):
    labels = [t.get_text() for t in plot_trajectory(runs[0], blocks=7).axes[0].get_legend().get_texts()]
    assert labels == [f"gen {g}" for g in range(1, 8)]  # not "gen 1-1"


def test_a_stock_result_saved_with_history_plots_without_a_recorder(tmp_path):
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    from tsenas_pymoo import GenomeRepair

    problem = TSENASProblem(StandInEvaluator(), n_min=3, n_max=6)
    algorithm = GA(pop_size=6, sampling=IntegerRandomSampling(), repair=GenomeRepair())
    res = minimize(problem, algorithm, ("n_gen", 4), seed=0, save_history=True)
    records = generation_records(res)
    assert [r["n_gen"] for r in records] == [1, 2, 3, 4]
    assert all(r["population"] and r["population"][0][1] for r in records)  # accuracy with its params
    plot_convergence([res], labels=["GA"]).savefig(tmp_path / "ga.png")
    Image.open(tmp_path / "ga.png").verify()


def test_compare_of_single_runs_says_so_and_counts_in_whole_numbers(tmp_path):
    from tsenas_pymoo.plotting import plot_compare

    a = _fake_run(tmp_path / "ga", "ga", [0.5, 0.7, 0.6], [4, 4, 4])
    b = _fake_run(tmp_path / "ts", "tsenas", [0.4, 0.8, 0.8], [4, 2, 2])
    fig = plot_compare([a, b])
    fig.canvas.draw()
    assert fig._suptitle.get_text() == "Searches compared (one run each)"
    for panel in fig.axes[:2]:  # generations and networks trained
        ticks = [t for t in panel.get_xticks() if panel.get_xlim()[0] <= t <= panel.get_xlim()[1]]
        assert ticks and all(float(t).is_integer() for t in ticks)


def test_an_edges_label_sits_on_its_arc():
    import numpy as np

    from tsenas_pymoo import NetworkGenome, plot_cell

    fig = plot_cell(NetworkGenome.from_cells([3]), 1)
    fig.canvas.draw()
    ax = fig.axes[0]
    middles = []
    from matplotlib.colors import same_color

    edges = [a for a in ax.texts if a.get_text() == "" and same_color(a.arrow_patch.get_edgecolor(), "tab:blue")]
    for arrow in edges:
        start, end = ax.transData.transform(arrow.xyann), ax.transData.transform(arrow.xy)
        p0, c1, p2 = arrow.arrow_patch.get_connectionstyle()(start, end, shrinkA=0, shrinkB=0).vertices[:3]
        middles.append(0.25 * p0 + 0.5 * c1 + 0.25 * p2)  # the quadratic Bezier's middle, in pixels
    labels = [t for t in ax.texts if "_" in t.get_text() or t.get_text() == "identity"]
    assert len(labels) == len(middles) == 8
    for label in labels:
        where = ax.transData.transform(label.get_position())
        assert min(np.hypot(*(m - where)) for m in middles) < 3  # on its arc's middle, in pixels


def test_bad_source_is_named(tmp_path):
    with pytest.raises(ValueError, match="cannot read generations"):
        plot_convergence(42)
    with pytest.raises(FileNotFoundError, match=r"no log.jsonl"):
        plot_convergence(tmp_path)


def test_plot_cell_draws_edges_ops_and_pruned_nodes(tmp_path):
    import numpy as np
    import pytest
    from matplotlib.figure import Figure

    from tsenas_pymoo import NetworkGenome, plot_cell, plot_cells
    from tsenas_pymoo.operators.fine import prune_fine

    genome = prune_fine(NetworkGenome.from_cells([3, 7, 3]).expand(), np.random.default_rng(0))
    edited = next(j for j, c in enumerate(genome.cells, start=1) if not c.is_published)
    fig = plot_cell(genome, edited)
    assert isinstance(fig, Figure)
    texts = [t.get_text() for t in fig.axes[0].texts]
    cell = genome.cells[edited - 1]
    from tsenas_pymoo.space.cells import CELLS

    used = len(CELLS[cell.code].nodes)  # DARTS uses 4 of the 5 slots: the fifth is not drawn, not "pruned"
    assert texts.count("pruned") == used - len(cell.live_nodes()) >= 1
    assert str(used + 2) not in texts  # no node beyond the cell's own (nodes count from 2)
    from tsenas_pymoo.space.ops import OPS

    names = [OPS[node[2 + slot]][0] for node in cell.nodes if any(node) for slot in (0, 1)]
    assert sorted(t for t in texts if t in {v[0] for v in OPS.values()}) == sorted(names)  # one label per edge
    plot_cells(genome).savefig(tmp_path / "cells.png")
    Image.open(tmp_path / "cells.png").verify()
    with pytest.raises(ValueError, match="cell_index=9"):
        plot_cell(genome, 9)


def _fake_run(folder, algorithm, best_per_gen, trained_per_gen):
    """A run directory as a search leaves it: config.json, log.jsonl, archive rows per generation."""
    import json

    from tsenas_pymoo import NetworkGenome
    from tsenas_pymoo.evaluation.archive import Archive

    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({"algorithm": algorithm}))
    lines = [
        {"stage": 1, "n_gen": g, "best_accuracy": b, "mean_accuracy": b / 2, "population": [[b, 100.0]]}
        for g, b in enumerate(best_per_gen, start=1)
    ]
    (folder / "log.jsonl").write_text("".join(json.dumps(r) + "\n" for r in lines))
    archive, i = Archive(folder / "archive.sqlite"), 0
    for g, n in enumerate(trained_per_gen, start=1):
        for _ in range(n):
            i += 1
            genome = NetworkGenome.from_cells([1, 2, 3, 4][: 1 + i % 4] or [1])
            record = {"accuracy": 0.5, "status": "ok", "generation": g, "macs": 2_000_000, "epochs": 1}
            archive.put(f"k{i}", genome, record)
    archive.close()
    return folder


def test_compare_groups_runs_by_algorithm_with_median_and_band(tmp_path):
    from tsenas_pymoo.cli import main
    from tsenas_pymoo.plotting import plot_compare, run_curve

    a = _fake_run(tmp_path / "ga1", "ga", [0.5, 0.7, 0.6], [4, 4, 4])
    b = _fake_run(tmp_path / "ga2", "ga", [0.6, 0.6, 0.9], [4, 4, 4])
    c = _fake_run(tmp_path / "ts", "tsenas", [0.4, 0.8, 0.8], [4, 2, 2])
    (c / "store").mkdir()
    (c / "store" / "supernet.json").write_text('{"macs": 5000000, "epochs": 2}')  # 10 million MAC-epochs
    curve = run_curve(a)
    assert curve["best"] == [0.5, 0.7, 0.7] and curve["trained"] == [4, 8, 12] and curve["algorithm"] == "ga"
    assert curve["compute"] == pytest.approx([8, 16, 24]) and run_curve(c)["compute"] == pytest.approx([18, 22, 26])
    fig = plot_compare([a, b, c])
    left = fig.axes[0]
    labels = [line.get_label() for line in left.lines]
    assert labels == ["ga (2 runs), median", "tsenas (1 run)"]
    median = left.lines[0].get_ydata()
    assert list(median) == pytest.approx([0.55, 0.65, 0.8])  # medians of the best so far
    assert len(left.collections) == 1  # one band: the group with several runs
    right = fig.axes[2]
    assert "MAC-epochs" in right.get_xlabel() and list(right.lines[1].get_xdata()) == pytest.approx([18, 22, 26])
    # a second TS-ENAS run starts later (a larger SuperNet): the group's best so far never falls
    d = _fake_run(tmp_path / "ts2", "tsenas", [0.3, 0.9, 0.9], [4, 2, 2])
    (d / "store").mkdir()
    (d / "store" / "supernet.json").write_text('{"macs": 10000000, "epochs": 2}')  # starts at 28
    both = plot_compare([c, d]).axes[2].lines[0]
    assert list(both.get_xdata()) == pytest.approx([28, 32, 36]) and list(both.get_ydata()) == pytest.approx(
        [0.55, 0.85, 0.85]
    )
    out = tmp_path / "cmp.png"
    assert main(["plot", "--compare", str(a), str(b), str(c), "--out", str(out)]) == 0
    Image.open(out).verify()
