"""What a search shows while it runs: its plan, its bar (with a total and an ETA), its pace."""

from __future__ import annotations

import contextlib
import sys

from pymoo.core.algorithm import Algorithm

from ..config import SearchConfig


def tidy_output(bar):
    """pymoo's verbose table goes through ``tqdm.write`` while a progress bar is shown,
    so the two do not interleave."""
    if bar is None:
        return contextlib.nullcontext()
    from tqdm.contrib import DummyTqdmFile

    return contextlib.redirect_stdout(DummyTqdmFile(sys.stdout))


def plan_lines(config: SearchConfig) -> list[str]:
    """What a search says when it starts its work: its plan, and what a budget leaves out."""
    total, how = config.plan()
    supernet = f", after a SuperNet of {config.supernet_epochs} epochs" if config.trains_supernet() else ""
    lines = [f"tsenas: plan: up to {total:,} networks to train ({how}){supernet}"]
    return lines + [f"tsenas: note: {note}" for note in config.budget_notes()]


class SearchBar:
    """The search's progress bar: over its generations, or, under ``--budget``, over the
    budget (networks or MMAC-epochs), so that it has a total and an ETA either way."""

    def __init__(self, algorithm: Algorithm, done: int, config: SearchConfig):
        from tqdm.auto import tqdm

        from ..search.budget import BudgetTermination

        term = algorithm.termination
        self.used = term.used if isinstance(term, BudgetTermination) else None
        self.tsenas = config.algorithm == "tsenas"
        if self.used is None:
            self.bar = tqdm(total=getattr(term, "n_max_gen", None), initial=done, desc="generations", unit="gen")
        else:
            unit = "net" if config.budget_unit == "networks" else "MMAC-ep"
            total = int(term.budget) if float(term.budget).is_integer() else term.budget
            self.bar = tqdm(total=total, initial=min(self.used(), total), desc="budget", unit=unit)

    def pace(self, trained: int, seconds: float, planned: int) -> None:
        """One line after this process's first generation: its pace, and the plan at it."""
        if trained:
            each = seconds / trained
            self.bar.write(
                f"tsenas: pace: {trained} networks trained in {seconds:.0f} s ({each:.1f} s each); "
                f"the plan's up to {planned:,} networks at this pace: about {planned * each / 60:.0f} min",
                file=sys.stderr,
            )

    def step(self, record: dict) -> None:
        if self.used is None:
            self.bar.update(1)
        else:
            self.bar.update(min(self.used(), self.bar.total) - self.bar.n)
        where = {"stage": record["stage"]} if self.tsenas else {"gen": record["n_gen"]}
        self.bar.set_postfix(**where, best=f"{record['best_accuracy']:.3f}")
