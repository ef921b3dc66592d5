"""``TorchEvaluator``: the fitness of one genome (Alg. 2 line 6, Sec. IV-B2).

Build the decoded network (seeded per genome), inherit its weights (from its parents'
trained states, then the cell store: ``inheritance``), train a few epochs on the training
split (an inherited network with the warm-start schedule), and report validation accuracy
with params, FLOPs, seconds, epochs, the inherited shares of parameters by source, the
schedule and a status. Every result goes into the SQLite archive; a genome already there
is answered from it.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import torch

from .. import faults
from ..interface import EvaluatorBase
from ..space.genome import AnyGenome, readable
from ..space.network import build_network, count_flops, count_params
from ..threads import protect_threads
from .archive import Archive
from .augment import Augment
from .data import Dataset, load_dataset
from .lineage import MODES, Lineage, WarmStart, default_warm_counts, inherit_from_parents
from .recipe import TrainRecipe
from .supernet import SuperNet
from .trainer import evaluate_accuracy, pick_device, recalibrate_batchnorm, train_model
from .weights import WeightStore, n_params, update_from_ranked

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


class TorchEvaluator(EvaluatorBase):
    """The real evaluator for ``TSENASProblem``: every member of the declared seam
    (:mod:`tsenas_pymoo.interface`: ``SearchEvaluator``, ``WorkerEvaluator``, ``RunEvaluator``).

    ``dataset``: a :class:`Dataset` or a name for :func:`load_dataset` (default digits).
    ``recipe``: how each network trains (a :class:`~tsenas_pymoo.evaluation.recipe.TrainRecipe`;
    default 10 epochs, the paper's, at lr 0.1), or its fields as keywords over it
    (``epochs=2, batch_size=64, device="cpu"``); its ``device`` None picks CUDA when
    present. Its ``augment`` stays off for the short trainings unless given (an
    :class:`~tsenas_pymoo.evaluation.augment.Augment` or a spec, "auto", "crop,flip", ...).
    ``store``: a :class:`WeightStore` or a folder (None: no inheritance).
    ``archive``: an :class:`Archive` or an ``.sqlite`` path (None: no archive).
    ``seed`` seeds every network and batch order.
    ``inheritance``: "lineage" (default: parents' trained units first, then the store),
    "store" (the paper's cell store only) or "none" (every network from scratch; the
    store is not used). ``warm_start``: the schedule of inherited networks
    (:class:`~tsenas_pymoo.evaluation.lineage.WarmStart`; None: the defaults, with ``counts``
    by mode, :func:`~tsenas_pymoo.evaluation.lineage.default_warm_counts`). ``score_test``: each result also
    carries ``test_accuracy`` on the test images (for studies that report on images no
    selection saw; a search never reads it, and the archive does not keep it).
    """

    def __init__(
        self,
        dataset: Dataset | str = "digits",
        recipe: TrainRecipe | None = None,
        init_channels: int = 16,
        store: WeightStore | str | Path | None = None,
        archive: Archive | str | Path | None = None,
        seed: int = 0,
        inheritance: str = "lineage",
        warm_start: WarmStart | None = None,
        score_test: bool = False,
        **recipe_fields: Any,
    ):
        if inheritance not in MODES:
            raise ValueError(f"inheritance={inheritance!r}; rule: one of {', '.join(MODES)}")
        self.inheritance = inheritance
        self.warm_start = WarmStart(counts=default_warm_counts(inheritance)) if warm_start is None else warm_start
        self.dataset = load_dataset(dataset) if isinstance(dataset, str) else dataset
        unknown = sorted(set(recipe_fields) - {f.name for f in dataclasses.fields(TrainRecipe)})
        if unknown:
            raise TypeError(
                f"TorchEvaluator: {', '.join(unknown)} is not a setting it takes; rule: a TrainRecipe field "
                f"({', '.join(f.name for f in dataclasses.fields(TrainRecipe))}); data subsets and presets: "
                f"SearchConfig(preset=..., train_subset=...).torch_evaluator()"
            )
        recipe = (recipe or TrainRecipe(epochs=10, lr=0.1)).replace(**recipe_fields)
        device = str(pick_device(recipe.device))
        self.recipe = recipe.replace(device=device).for_data(self.dataset.name, self.dataset.input_shape)
        if device == "cpu":
            protect_threads()  # the CLI's thread policy, for scripts (a no-op once one is set)
        if not callable(init_channels) and not init_channels >= 2:
            raise ValueError(f"init_channels={init_channels}; rule: at least 2, or a width rule (genome -> width)")
        self.init_channels = init_channels
        self.store = WeightStore(store) if isinstance(store, (str, Path)) else store
        if inheritance == "none":
            self.store = None
        self.lineage = Lineage(self.store)
        self.archive = Archive(archive) if isinstance(archive, (str, Path)) else archive
        self.seed = seed
        self.score_test = score_test
        self.generation: int | None = None  # set by TSENASProblem from the running algorithm
        self.progress = False  # a tqdm bar over each training's epochs
        self.archive_hits = 0
        self.trained = 0
        self._device_data: dict[str, torch.Tensor] | None = None

    # the recipe's fields, read as the evaluator's own (``evaluator.epochs``)
    epochs = property(lambda self: self.recipe.epochs)
    batch_size = property(lambda self: self.recipe.batch_size)
    lr = property(lambda self: self.recipe.lr)
    amp = property(lambda self: self.recipe.amp)
    channels_last = property(lambda self: self.recipe.channels_last)
    augment = property(lambda self: self.recipe.augment)

    @property
    def device(self) -> str:
        return self.recipe.device

    @device.setter
    def device(self, device: str) -> None:
        """Pin this evaluator (a worker's copy) to ``device``; its data moves there anew."""
        self.recipe, self._device_data = self.recipe.replace(device=device), None

    # pymoo deep-copies algorithms; the evaluator (data, store, archive) is shared, not copied
    def __deepcopy__(self, memo):
        return self

    def __getstate__(self):
        # a pickled copy keeps its archive (by path; each process opens its own connection),
        # so pymoo's own parallel runners (StarmapParallelization) still archive every
        # result; DaskRunner sends its workers worker_copy(), without one
        state = self.__dict__.copy()
        state["_device_data"] = None
        return state

    def __setstate__(self, state):
        if "lineage" not in state:  # pickled before the lineage had its own class (0.4.0)
            state["lineage"] = Lineage(state.get("store"))
            state["lineage"].parents = state.pop("parents", {})
            state["lineage"].repeats = state.pop("repeats", {})
        state.setdefault("score_test", False)  # pickled before 0.5.0
        if "recipe" not in state:  # pickled before 0.7.1: the recipe's fields were attributes
            state["recipe"] = TrainRecipe(
                **{
                    k: state.pop(k)
                    for k in ("epochs", "batch_size", "lr", "device", "amp", "channels_last", "augment")
                    if k in state
                }
            )
        self.__dict__.update(state)

    def worker_copy(self) -> TorchEvaluator:
        """A copy for remote workers: no archive (the driver alone writes it), no notes
        (each task carries its genome's parents), no device data."""
        worker = copy.copy(self)
        worker.archive, worker.lineage, worker._device_data = None, Lineage(self.store), None
        return worker

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return self.dataset.input_shape

    @property
    def num_classes(self) -> int:
        return self.dataset.num_classes

    @property
    def n_val(self) -> int:
        """Validation images: the resolution of a fitness value is 1 / n_val."""
        return len(self.dataset.val_y)

    def _data(self) -> dict[str, torch.Tensor]:
        if self._device_data is None:
            fmt = torch.channels_last if self.channels_last else torch.contiguous_format
            d = self.dataset
            self._device_data = {
                "train_x": d.train_x.to(self.device, memory_format=fmt),
                "train_y": d.train_y.to(self.device),
                "val_x": d.val_x.to(self.device, memory_format=fmt),
                "val_y": d.val_y.to(self.device),
            }
        return self._device_data

    def build(self, genome: AnyGenome, seed: int | None = None) -> torch.nn.Module:
        """The decoded network, initialized from ``seed`` (default: the genome's seed)."""
        torch.manual_seed(genome_seed(self.seed, genome.key()) if seed is None else seed)
        return build_network(genome, self.input_shape, self.num_classes, self.init_channels)

    def __call__(self, genome: AnyGenome) -> dict[str, Any]:
        record = self.lookup(genome)
        if record is not None:
            return record
        try:
            result = self.train_genome(genome)
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

    def search_data(self) -> dict[str, Any]:
        """What a run's report records about the data: its normalization and settings."""
        return {"normalization": self.dataset.normalization(), "search_data": self.dataset.settings()}

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
        """The living population: :meth:`Lineage.retain`."""
        return self.lineage.retain(genomes)

    def plan(self, genome: AnyGenome) -> dict[str, Any]:
        """What a remote worker needs: the genome's parents and its evaluation key."""
        return {"parents": self.lineage.parents_of(genome), "eval_key": self.lineage.eval_key(genome)}

    def parents_of(self, genome: AnyGenome) -> tuple[AnyGenome, ...]:
        return self.lineage.parents_of(genome)

    def eval_key(self, genome: AnyGenome) -> str:
        """The key this evaluation is archived, seeded and saved under."""
        return self.lineage.eval_key(genome)

    def _build_untrained(self, genome: AnyGenome) -> torch.nn.Module:
        return build_network(genome, self.input_shape, self.num_classes, self.init_channels)

    def inherit(self, model: torch.nn.Module, parents: Sequence[AnyGenome] = ()) -> dict[str, float]:
        """Load ``model``'s inherited units; returns the shares of its parameters by source
        (``parent``, ``store``, ``fresh``)."""
        total = n_params(model) or 1
        from_parent, taken = 0, set()
        if self.store is None:
            return {"parent": 0.0, "store": 0.0, "fresh": 1.0}
        if self.inheritance == "lineage" and parents:
            from_parent, taken = inherit_from_parents(model, self.lineage.parent_models(parents, self._build_untrained))
        from_store = self.store.inherit(model, skip=taken)
        shares = {"parent": from_parent / total, "store": from_store}
        return {**shares, "fresh": max(0.0, 1.0 - shares["parent"] - shares["store"])}

    def train_genome(
        self,
        genome: AnyGenome,
        epochs: int | None = None,
        parents: Sequence[AnyGenome] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """Inherit, train and validate one genome (no archive look-up). ``parents``
        default to those noted for it (:meth:`note_parents`); ``key`` (the seed and the
        saved state's name) to :meth:`eval_key`."""
        start = time.perf_counter()
        key = key or self.eval_key(genome)
        model = self.build(genome, seed=genome_seed(self.seed, key))
        params = count_params(model)
        flops = count_flops(model, self.input_shape)
        sources = self.inherit(model, self.parents_of(genome) if parents is None else parents)
        inherited = sources["parent"] + sources["store"]
        warm = self.warm_start.applies(sources)
        lr = self.lr * self.warm_start.lr_scale if warm else self.lr
        warmup = self.warm_start.warmup if warm else 0.0
        data = self._data()
        epochs = epochs or self.epochs
        result = train_model(
            model,
            data["train_x"],
            data["train_y"],
            self.recipe.replace(epochs=epochs, lr=lr, warmup=warmup),
            seed=genome_seed(self.seed, key),
            progress=f"training N={genome.n_cells}" if self.progress else None,
            keep_bar=False,
        )
        accuracy = test_accuracy = 0.0
        if not result.ok:
            log.warning("%s: training ended with status %s (%s); it scores 0", key, result.status, result.reason)
        else:
            recalibrate_batchnorm(model, data["train_x"], batch_size=self.batch_size, device=self.device)
            accuracy = evaluate_accuracy(model, data["val_x"], data["val_y"], **self.recipe.scoring())
            if self.score_test:
                test_accuracy = self.test_accuracy(model)
            if self.store is not None:
                self.store.save_trained(key, model)
        held_out = {"test_accuracy": test_accuracy} if self.score_test else {}
        return {
            **held_out,
            "accuracy": accuracy,
            "params": params,
            "macs": flops // 2,
            "flops": flops,
            "seconds": time.perf_counter() - start,
            "epochs": result.epochs,
            "inherited_fraction": inherited,
            "sources": sources,
            "lr": lr,
            "warmup": warmup,
            "status": result.status,
            "reason": result.reason,
        }

    def test_accuracy(self, model: torch.nn.Module) -> float:
        """``model``'s accuracy on the test images (kept on the host: a study's extra pass)."""
        d = self.dataset
        return evaluate_accuracy(model, d.test_x, d.test_y, **self.recipe.scoring())

    def update_store(self, population: Iterable[tuple[AnyGenome, float]]) -> list[str]:
        """Steps 1-4 of Sec. IV-B2: ``population`` is (genome, accuracy) pairs; walking
        from the best down, write each trained unit not yet written in this round. Without
        a weight store there is nothing to update: returns []."""
        if self.store is None:  # no store= (or inheritance="none"): nothing to update
            return []
        ranked = sorted(population, key=lambda pair: -pair[1])

        def models():
            for genome, _ in ranked:
                state = self.store.load_trained(genome.key())
                if state is None:
                    continue
                model = build_network(genome, self.input_shape, self.num_classes, self.init_channels)
                if self.store.load_into(genome.key(), model, state):
                    yield model

        return update_from_ranked(self.store, models())

    def train_supernet(
        self, epochs: int = 5, n_reductions: int | None = None, mode: str = "mean", cover: bool = True
    ) -> dict[str, Any]:
        """Alg. 2 lines 2-3: train the SuperNet and write its trained units into the store
        (``cover``: every free-input adapter, see :class:`SuperNet`)."""
        if self.store is None:
            raise ValueError("train_supernet: this evaluator has no weight store; pass store=FOLDER")
        torch.manual_seed(self.seed)
        supernet = SuperNet(
            self.input_shape,
            self.num_classes,
            self.init_channels,
            seed=self.seed,
            n_reductions=n_reductions,
            mode=mode,
            cover=cover,
        )
        data = self._data()
        result = train_model(
            supernet,
            data["train_x"],
            data["train_y"],
            self.recipe.replace(epochs=epochs, augment=Augment(), warmup=0.0, label_smoothing=0.0),  # plain
            seed=self.seed,
            progress="SuperNet" if self.progress else None,
        )
        if not result.ok:
            raise ValueError(
                f"SuperNet training ended with status {result.status} ({result.reason}); nothing was "
                f"exported to the store; rule: a lower --lr or --batch-size, or --supernet-epochs 0"
            )
        supernet.to("cpu")
        faults.point("supernet")
        keys = supernet.export(self.store)
        return {
            "status": result.status,
            "epochs": result.epochs,
            "macs": count_flops(supernet, self.input_shape) // 2,  # per image, as the archive's
            "seconds": result.seconds,
            "units": len(keys),
            "losses": result.losses,
        }


__all__ = ["TorchEvaluator", "failed_result", "genome_seed"]
