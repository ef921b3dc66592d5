"""The archive in front of a trainer: :class:`ArchivedEvaluator` answers a genome from the
SQLite archive when it can, else has it trained (:meth:`train_genome`, a subclass's) and
archives the result with its generation and parents; it keeps the algorithm's notes on
lineage (the parents of pending offspring, the repeats of Alg. 4 line 7). A pymoo
runner that trains elsewhere (:class:`~tsenas_pymoo.evaluation.distributed.DaskRunner`)
composes the same steps: :meth:`lookup`, then :meth:`settle` with its own training.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import torch

from .. import faults
from ..interface import EvaluatorBase
from ..space.genome import AnyGenome, readable

log = logging.getLogger(__name__)


#: Statuses answered by training again rather than from the archive.
RETRIED = ("failed", "oom")


def failed_result(err: BaseException) -> dict[str, Any]:
    """The record of an evaluation that raised: status ``oom`` for a CUDA out-of-memory,
    else ``failed``; accuracy 0 and the reason. Both are retried, not answered, later."""
    oom = isinstance(err, torch.cuda.OutOfMemoryError)
    if oom and torch.cuda.is_available():
        torch.cuda.empty_cache()
    return {
        "accuracy": 0.0,
        "params": None,
        "macs": None,
        "flops": None,
        "seconds": None,
        "epochs": 0,
        "inherited_fraction": 0.0,
        "status": "oom" if oom else "failed",
        "reason": f"{type(err).__name__}: {err}"[:300],
    }


def genome_seed(seed: int, key: str) -> int:
    """A per-genome seed, so each evaluation repeats on its own, in any order or worker."""
    return int(hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()[:8], 16)


class ArchivedEvaluator(EvaluatorBase):
    """The archive's side of an evaluator; a subclass sets ``archive`` (an
    :class:`~tsenas_pymoo.evaluation.archive.Archive` or None), ``inheriting`` (an
    :class:`~tsenas_pymoo.evaluation.inheritance.Inheritance`, whose lineage holds the
    notes), ``generation``, ``archive_hits``, ``trained``, and gives ``train_genome``."""

    lineage = property(lambda self: self.inheriting.lineage)

    def train_genome(self, genome: AnyGenome) -> dict[str, Any]:
        raise NotImplementedError

    def __call__(self, genome: AnyGenome) -> dict[str, Any]:
        record = self.lookup(genome)
        return record if record is not None else self.settle(genome, lambda: self.train_genome(genome))

    def settle(self, genome: AnyGenome, train: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """Archive what ``train()`` returns for ``genome``; when it raises, the failure
        (:func:`failed_result`), which a later evaluation trains again."""
        try:
            result = train()
        except Exception as err:
            result = failed_result(err)
            log.warning("%s: evaluation raised %s; recorded as %s", genome.key(), result["reason"], result["status"])
        return self.record(genome, result)

    def lookup(self, genome: AnyGenome) -> dict[str, Any] | None:
        """The archived result of ``genome``, or None. A result that failed for a reason
        outside the genome (``failed``: a worker died; ``oom``: the device ran out of
        memory) is kept in the archive but not answered: it is trained again."""
        record = self.archive.get(self.eval_key(genome)) if self.archive is not None else None
        if record is None or record["status"] in RETRIED:
            return None
        self.archive_hits += 1
        return dict(record, archived=True)

    def record(self, genome: AnyGenome, record: dict[str, Any]) -> dict[str, Any]:
        """Archive a fresh result (with the current generation and the parents noted for
        it) and return it."""
        record = dict(record, generation=self.generation, parents=[p.key() for p in self.parents_of(genome)])
        self.trained += 1
        faults.point("trained")
        if self.archive is not None:
            self.archive.put(self.eval_key(genome), genome, record)
            faults.point("archived")
        log.info(  # one line per network trained (tsenas search -v)
            "trained %s: accuracy %.4f, %.1f s, %s",
            readable(genome),
            record.get("accuracy", 0.0),
            record.get("seconds") or 0.0,
            record.get("status", "ok"),
        )
        return dict(record, archived=False)

    # -- the notes of SearchEvaluator (tsenas_pymoo/interface.py) -------------------------
    def note_generation(self, generation: int) -> None:
        """The generation the next results are archived with."""
        self.generation = generation

    def note_parents(self, parents: Mapping[str, Sequence[AnyGenome]]) -> None:
        """The algorithm's word on pending offspring: child key -> its parents' genomes."""
        self.lineage.note_parents(parents)

    def note_repeats(self, repeats: Mapping[str, int]) -> None:
        """The algorithm's word that genomes already evaluated are evaluated again in this
        generation (Alg. 4 line 7: s beside p1 and p2): genome key -> tag. A repeat is
        archived, seeded and saved under :func:`repeat_key`; with lineage inheritance it
        continues from its own trained state (note it as its own parent), without
        inheritance it trains from scratch under the new seed."""
        self.lineage.note_repeats(repeats)

    def retain(self, genomes: Iterable[AnyGenome]) -> int:
        """The living population: :meth:`Inheritance.retain`."""
        return self.inheriting.retain(genomes)

    def plan(self, genome: AnyGenome) -> dict[str, Any]:
        """What a remote worker needs: the genome's parents and its evaluation key."""
        return {"parents": self.lineage.parents_of(genome), "eval_key": self.lineage.eval_key(genome)}

    def parents_of(self, genome: AnyGenome) -> tuple[AnyGenome, ...]:
        return self.lineage.parents_of(genome)

    def eval_key(self, genome: AnyGenome) -> str:
        """The key this evaluation is archived, seeded and saved under."""
        return self.lineage.eval_key(genome)


__all__ = ["RETRIED", "ArchivedEvaluator", "failed_result", "genome_seed"]
