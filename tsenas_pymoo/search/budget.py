"""Search budgets that every algorithm is held to alike.

A budget counts the work a method does, not its generations: :class:`BudgetTermination`
ends any pymoo algorithm once a measure of used work reaches the budget (or after
``stall`` generations that added none, an algorithm that only revisits known networks).
Measures: :class:`ComputeMeter` wraps an evaluator and charges each fresh training
its epochs (network-epochs; archive answers are free); :class:`TrainedNetworks` counts
the networks a run directory's archive trained; :class:`MacEpochs` sums what they cost
(MACs per image times epochs, the SuperNet included), a unit proportional to the real
work of any method whatever the sizes of the networks it prefers.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymoo.core.termination import Termination

from ..evaluation.keys import SEARCH_ROWS


class BudgetTermination(Termination):
    """Done once ``used()`` reaches ``budget``, or after ``stall`` generations in which it
    did not grow."""

    n_max_gen = None  # no generation count: a progress bar shows generations without a total

    def __init__(self, used: Callable[[], float], budget: float, stall: int = 30):
        super().__init__()
        if not budget > 0:
            raise ValueError(f"budget={budget}; rule: a positive amount of work")
        self.used, self.budget, self.stall = used, float(budget), int(stall)
        self.last, self.idle = None, 0

    def _update(self, algorithm) -> float:
        used = self.used()
        self.idle = self.idle + 1 if used == self.last else 0
        self.last = used
        return 1.0 if self.idle >= self.stall else min(1.0, used / self.budget)


class TrainedNetworks:
    """The networks a run's archive holds (its re-scoring rows, ``#`` in the key, aside):
    a picklable measure for :class:`BudgetTermination` (checkpoints carry it)."""

    def __init__(self, archive_path: str | Path):
        self.archive_path = str(archive_path)

    def __call__(self) -> int:
        with sqlite3.connect(self.archive_path) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM evaluations WHERE {SEARCH_ROWS}").fetchone()[0]


def supernet_record(run_dir: str | Path) -> Path:
    """Where a run directory keeps its SuperNet's record (epochs, status, MACs): the
    runner writes it once the SuperNet trained; budgets and plots read it."""
    return Path(run_dir) / "store" / "supernet.json"


class MacEpochs:
    """The work a run did, in millions of MAC-epochs: every training in its archive (its
    re-scoring rows, ``#`` in the key, aside) charged its MACs per image times its epochs,
    plus the SuperNet's from the record ``supernet_marker`` names once it exists (its
    ``macs`` and ``epochs``). Every training of a run sees the same images per epoch, so
    this is proportional to the multiply-accumulates it ran. Picklable (paths only), so a
    checkpoint carries it and a resumed run counts what it did before."""

    def __init__(self, archive_path: str | Path, supernet_marker: str | Path | None = None):
        self.archive_path = str(archive_path)
        self.supernet_marker = None if supernet_marker is None else str(supernet_marker)

    @classmethod
    def of_run(cls, run_dir: str | Path) -> MacEpochs:
        """The count for a run directory: its archive and its SuperNet record."""
        return cls(Path(run_dir) / "archive.sqlite", supernet_record(run_dir))

    def supernet(self) -> float:
        if self.supernet_marker is None or not Path(self.supernet_marker).exists():
            return 0.0
        info = json.loads(Path(self.supernet_marker).read_text())
        return float(info.get("macs") or 0) * float(info.get("epochs") or 0) / 1e6

    def __call__(self) -> float:
        with sqlite3.connect(self.archive_path) as conn:
            (total,) = conn.execute(
                f"SELECT COALESCE(SUM(macs * epochs), 0) FROM evaluations WHERE {SEARCH_ROWS}"
            ).fetchone()
        return float(total) / 1e6 + self.supernet()


class ComputeMeter:
    """Wraps an evaluator: charges each fresh training its epochs (``used``, in
    network-epochs) and records after each evaluation within the budget (compute used,
    best validation accuracy so far, genome key) in ``curve``. Everything else (the
    evaluator's shape and the notes of ``SearchEvaluator``) passes through."""

    def __init__(self, evaluator, budget: float, used: float = 0.0):
        self.evaluator, self.budget, self.used = evaluator, float(budget), float(used)
        self.curve: list[tuple[float, float, str]] = []
        self.best: tuple[float, Any] = (0.0, None)

    def __getattr__(self, name):
        if name in ("evaluator", "__setstate__"):
            raise AttributeError(name)
        return getattr(self.evaluator, name)

    def __deepcopy__(self, memo):
        return self

    def __call__(self, genome):
        result = self.evaluator(genome)
        if not result.get("archived"):
            self.used += float(result.get("epochs") or 0)
        if self.used <= self.budget:
            if result["accuracy"] > self.best[0]:
                self.best = (float(result["accuracy"]), genome)
            self.curve.append((self.used, self.best[0], genome.key()))
        return result

    def used_so_far(self) -> float:
        return self.used

    def termination(self, stall: int = 30) -> BudgetTermination:
        return BudgetTermination(self.used_so_far, self.budget, stall)


__all__ = ["BudgetTermination", "ComputeMeter", "MacEpochs", "TrainedNetworks"]
