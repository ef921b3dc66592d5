"""The final pick re-scored under one protocol (the fidelity issue, item 4).

A search's own pick is whichever network scored best once: often the luckiest seed, or
the stage-2 parent s that was trained longest through its lineage. Re-scoring retrains
each final candidate from scratch with R seeds under the search's own settings (data,
epochs, width, batch, lr; no inheritance) and scores it on the validation images; the
best mean wins. A finalist round at a higher fidelity (a rung: more training images
and/or epochs, the same validation pool) passes ``dataset`` and ``epochs``. Every
training is archived in its own SQLite file (a killed run resumes without retraining)
and counted, so a budget can charge it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..space.genome import AnyGenome
from . import keys
from .archive import Archive
from .evaluator import RETRIED, TorchEvaluator


def rescore_key(genome: AnyGenome, seed_index: int, rung: str = "") -> str:
    """The archive key (and the seed) of re-scoring training ``seed_index`` of ``genome``
    (the grammar: :mod:`.keys`)."""
    return keys.rescore_key(genome.key(), seed_index, rung)


def scratch_copy(
    evaluator: TorchEvaluator, archive: Archive | None = None, dataset=None, epochs: int | None = None
) -> TorchEvaluator:
    """An evaluator with ``evaluator``'s data and training settings (or ``dataset`` and
    ``epochs``: a higher rung) that trains every network from fresh weights (no store, no
    lineage)."""
    return TorchEvaluator(
        evaluator.dataset if dataset is None else dataset,
        evaluator.recipe.replace(epochs=evaluator.epochs if epochs is None else epochs),
        init_channels=evaluator.init_channels,
        archive=archive,
        seed=evaluator.seed,
        inheritance="none",
    )


def rescore(
    candidates: Sequence[AnyGenome],
    evaluator: TorchEvaluator,
    seeds: int = 3,
    archive: Archive | str | Path | None = None,
    dataset=None,
    epochs: int | None = None,
) -> dict[str, Any]:
    """Retrain each candidate ``seeds`` times from scratch; the best mean validation
    accuracy wins (ties: the earlier candidate, i.e. the search's order). ``dataset`` and
    ``epochs``: train at this rung instead of the search's settings (its validation pool
    must be the search's: the same ``val_size`` and data seed).

    Returns ``{"pick": key, "candidates": [{key, accuracies, mean, sd}], "network_epochs":
    the epochs trained now (archived ones are free), "trainings": their number,
    "mmac_epochs": the work of all its trainings, archived ones included (million MACs per
    image times epochs)}``.
    """
    if seeds < 1:
        raise ValueError(f"seeds={seeds}; rule: at least 1")
    if not candidates:
        raise ValueError("candidates: none given; rule: at least one genome")
    archive = Archive(archive) if isinstance(archive, (str, Path)) else archive
    scratch = scratch_copy(evaluator, dataset=dataset, epochs=epochs)
    rung = "" if dataset is None and epochs is None else f"n{len(scratch.dataset.train_y)}e{scratch.epochs}"
    rows, epochs, trainings, work = [], 0, 0, 0.0
    for genome in candidates:
        accuracies = []
        for r in range(seeds):
            key = rescore_key(genome, r, rung)
            record = archive.get(key) if archive is not None else None
            if record is None or record["status"] in RETRIED:
                record = scratch.train_genome(genome, parents=(), key=key)
                epochs, trainings = epochs + int(record["epochs"] or 0), trainings + 1
                if archive is not None:
                    archive.put(key, genome, dict(record, generation=None))
            accuracies.append(float(record["accuracy"]))
            work += (record.get("macs") or 0) * (record.get("epochs") or 0) / 1e6
        rows.append(
            {
                "key": genome.key(),
                "accuracies": accuracies,
                "mean": float(np.mean(accuracies)),
                "sd": float(np.std(accuracies, ddof=1)) if seeds > 1 else 0.0,
            }
        )
    best = max(range(len(rows)), key=lambda i: (rows[i]["mean"], -i))
    return {
        "pick": rows[best]["key"],
        "pick_index": best,
        "candidates": rows,
        "seeds": seeds,
        "network_epochs": epochs,
        "trainings": trainings,
        "mmac_epochs": work,
        "rung": rung or None,
        "protocol": f"each candidate trained from scratch {seeds}x ({scratch.epochs} epochs on "
        f"{len(scratch.dataset.train_y)} training images, the search's other settings), scored on the "
        f"{evaluator.n_val} validation images; best mean wins",
    }


__all__ = ["rescore", "rescore_key", "scratch_copy"]
