"""Search budgets that every algorithm is held to alike.

A budget counts the work a method does, not its generations: :class:`BudgetTermination`
ends any pymoo algorithm once a measure of used work reaches the budget (or after
``stall`` generations that added none, an algorithm that only revisits known networks).
Two measures: :class:`ComputeMeter` wraps an evaluator and charges each fresh training
its epochs (network-epochs; archive answers are free), and :class:`TrainedNetworks`
counts the networks a run directory's archive trained.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pymoo.core.termination import Termination


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
            return conn.execute("SELECT COUNT(*) FROM evaluations WHERE key NOT LIKE '%#%'").fetchone()[0]


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


__all__ = ["BudgetTermination", "ComputeMeter", "TrainedNetworks"]
