"""How a search ends: the candidates re-scored (when asked), the pick trained in full
(or the surrogate's answer), the genotype, the plots and the summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from .. import faults
from ..config import SearchConfig
from ..final import train_final
from ..genotype import save_genotype
from ..rundir import atomic_write, read_text
from ..search.algorithm import best_first
from ..space.genome import readable
from ..space.width import resolve_width
from ..trust import sign_manifest


def archive_best(archive) -> list:
    """The genomes an archive scored, best validation accuracy first (a repeat's best
    score counts; re-scoring rows and failed trainings aside)."""
    from ..evaluation.keys import is_search_row, split_key
    from ..space.genome import genome_from_key

    rows = [r for r in archive.records() if is_search_row(r["key"]) and r["status"] == "ok"]
    rows.sort(key=lambda r: -r["accuracy"])  # stable: the earlier of equal scores first
    return [genome_from_key(split_key(r["key"])[0]) for r in rows]


def rescore_pick(c: SearchConfig, run_dir: Path, algorithm, evaluator):
    """The final candidates, retrained from scratch ``rescore_seeds`` times each
    (archived in rescore.sqlite); the best mean wins. TS-ENAS's candidates are the top
    ``rescore_top`` of its last population (every s in stage 2); a stock algorithm's
    answer is the best it ever evaluated (random search and regularized evolution keep
    no elite population), so its candidates are the archive's top ``rescore_top``."""
    from ..evaluation.rescore import rescore

    if c.algorithm == "tsenas":
        pop = algorithm.pop
        ordered = [algorithm.problem.decode(pop[i].X) for i in best_first(pop)]
    else:
        ordered = archive_best(evaluator.archive)
    genomes = list({g.key(): g for g in ordered}.values())[: c.rescore_top]
    result = rescore(genomes, evaluator, c.rescore_seeds, run_dir / "rescore.sqlite", c.rung_data(), c.rescore_epochs)
    return genomes[result["pick_index"]], result


def compute(run_dir: Path) -> dict[str, float] | None:
    """The search's work in both ``--budget-unit`` units (re-scoring aside: its own
    ``mmac_epochs`` is in the summary's ``rescore``)."""
    from ..search.budget import MacEpochs, TrainedNetworks

    archive = run_dir / "archive.sqlite"
    if not archive.exists():
        return None
    return {
        "networks": TrainedNetworks(archive)(),
        "mmac_epochs": MacEpochs.of_run(run_dir)(),
    }


def finish(c: SearchConfig, run_dir: Path, algorithm, evaluator, progress: bool) -> dict[str, Any]:
    """The search's answer: the pick (re-scored when asked), its final training (or the
    surrogate's answer), the genotype, the plots and summary.json; a step done before a
    kill (its report written) is not done again."""
    algorithm.result()
    opt = algorithm.opt  # the best, or the front with two objectives: its most accurate one
    winner = opt[best_first(opt)[0]]
    best_f = np.atleast_1d(winner.F)
    best = algorithm.problem.decode(winner.X)
    summary = {
        "best_genome": best.key(),
        "best_val_accuracy": float(1 - best_f[0]),
        "search_pick": best.key(),
        "generations": len(algorithm.data["generations"]),
        "evaluations": len(evaluator.archive),
        "stage2_start": getattr(algorithm, "stage2_start", None),
        "algorithm": c.algorithm,
        "compute": compute(run_dir),
    }
    if c.rescore_top:
        best, summary["rescore"] = rescore_pick(c, run_dir, algorithm, evaluator)
        summary["best_genome"] = best.key()
    summary["best_network"] = readable(best)  # by its cells' names, beside the key
    final_dir = run_dir / "final"
    report_path = final_dir / "report.json"
    if report_path.exists():
        report = json.loads(read_text(report_path))
    elif c.evaluator == "surrogate":  # no training: the surrogate's test accuracy, said so
        final_dir.mkdir(parents=True, exist_ok=True)
        answer = evaluator.predict(best)
        report = {
            "source": "surrogate (no training): its model of the test accuracy under the table's settings",
            "test_accuracy": answer["test_accuracy"],
            "test_error": 1 - answer["test_accuracy"],
            "epochs": 0,
            "params": answer["params"],
            "macs": answer["macs"],
            "table": evaluator.table.meta["settings"],
        }
        atomic_write(report_path, json.dumps(report, indent=1).encode())
        sign_manifest(run_dir)
    else:
        with faults.span("final"):
            report = train_final(
                best,
                evaluator.dataset,
                c.final_recipe(),
                init_channels=resolve_width(evaluator.init_channels or c.init_channels, best),
                seed=c.seed,
                out_dir=final_dir,
                progress=progress,
            )
        faults.point("final")
        atomic_write(report_path, json.dumps(report, indent=1).encode())
        sign_manifest(run_dir)
        faults.point("report")
    summary["final"] = report
    save_genotype(
        run_dir / "best_genotype.json",
        best,
        evaluator.input_shape,
        evaluator.num_classes,
        resolve_width(evaluator.init_channels or c.init_channels, best),
        val_accuracy=summary["best_val_accuracy"],
        final=report,
        **evaluator.search_data(),
    )
    from ..plotting import save_plots

    summary["plots"] = [str(p) for p in save_plots(run_dir)]
    atomic_write(run_dir / "summary.json", json.dumps(summary, indent=1).encode())
    return summary
