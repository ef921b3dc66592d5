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
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import torch

from ..space.genome import AnyGenome
from ..space.network import build_network, count_flops, count_params
from ..threads import protect_threads
from .archive import Archive
from .archived import RETRIED, ArchivedEvaluator, failed_result, genome_seed  # noqa: F401  (their home before 0.8.1)
from .data import Dataset, load_dataset
from .inheritance import Inheritance
from .legacy import upgrade_evaluator_state
from .lineage import WarmStart
from .recipe import TrainRecipe
from .supernet import SuperNet, train_supernet
from .trainer import evaluate_accuracy, pick_device, recalibrate_batchnorm, train_model
from .weights import WeightStore

log = logging.getLogger(__name__)


def _search_recipe(dataset: Dataset, recipe: TrainRecipe | None, fields: dict[str, Any]) -> TrainRecipe:
    """An evaluator's recipe: ``recipe`` (default 10 epochs at lr 0.1) with ``fields`` over
    it, on the picked device, fitted to ``dataset``; on the CPU the thread policy is set."""
    unknown = sorted(set(fields) - {f.name for f in dataclasses.fields(TrainRecipe)})
    if unknown:
        raise TypeError(
            f"TorchEvaluator: {', '.join(unknown)} is not a setting it takes; rule: a TrainRecipe field "
            f"({', '.join(f.name for f in dataclasses.fields(TrainRecipe))}); data subsets and presets: "
            f"SearchConfig(preset=..., train_subset=...).torch_evaluator()"
        )
    recipe = (recipe or TrainRecipe(epochs=10, lr=0.1)).replace(**fields)
    device = str(pick_device(recipe.device))
    if device == "cpu":
        protect_threads()  # the CLI's thread policy, for scripts (a no-op once one is set)
    return recipe.replace(device=device).for_data(dataset.name, dataset.input_shape)


class TorchEvaluator(ArchivedEvaluator):
    """The real evaluator for ``TSENASProblem`` (every member of the declared seam,
    :mod:`tsenas_pymoo.interface`): build, inherit, train, score (docs/evaluation.md).

    ``dataset``: a :class:`Dataset` or a name for :func:`load_dataset`. ``recipe``: how
    each network trains (a :class:`~tsenas_pymoo.evaluation.recipe.TrainRecipe`; default
    10 epochs, the paper's, at lr 0.1), or its fields as keywords over it (``epochs=2,
    device="cpu"``); device None picks CUDA when present. ``store``: a
    :class:`WeightStore` or a folder (None: no inheritance). ``archive``: an
    :class:`Archive` or an ``.sqlite`` path. ``seed`` seeds every network and batch order.
    ``inheritance`` ("lineage", "store" or "none") and ``warm_start``: see
    :class:`~tsenas_pymoo.evaluation.inheritance.Inheritance`. ``score_test``: each result
    also carries ``test_accuracy`` on the test images (for studies that report on images
    no selection saw; a search never reads it, and the archive does not keep it).
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
        self.dataset = load_dataset(dataset) if isinstance(dataset, str) else dataset
        self.recipe = _search_recipe(self.dataset, recipe, recipe_fields)
        if not callable(init_channels) and not init_channels >= 2:
            raise ValueError(f"init_channels={init_channels}; rule: at least 2, or a width rule (genome -> width)")
        self.init_channels = init_channels
        store = WeightStore(store) if isinstance(store, (str, Path)) else store
        self.inheriting = Inheritance(inheritance, store, warm_start)
        self.archive = Archive(archive) if isinstance(archive, (str, Path)) else archive
        self.seed = seed
        self.score_test = score_test
        self.generation: int | None = None  # set by TSENASProblem from the running algorithm
        self.progress = False  # a tqdm bar over each training's epochs
        self.archive_hits = 0
        self.trained = 0
        self._device_data: dict[str, torch.Tensor] | None = None

    # the inheritance service's settings, read as the evaluator's own
    inheritance = property(lambda self: self.inheriting.mode)
    store = property(lambda self: self.inheriting.store)
    warm_start = property(lambda self: self.inheriting.warm_start)
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
        # a pickled copy keeps its archive (by path): pymoo's parallel runners still archive
        return {**self.__dict__, "_device_data": None}

    def __setstate__(self, state):
        self.__dict__.update(upgrade_evaluator_state(state))

    def worker_copy(self) -> TorchEvaluator:
        """A copy for remote workers: no archive (the driver alone writes it), no notes
        (each task carries its genome's parents), no device data."""
        worker = copy.copy(self)
        worker.archive, worker.inheriting, worker._device_data = None, self.inheriting.worker_copy(), None
        return worker

    input_shape = property(lambda self: self.dataset.input_shape)
    num_classes = property(lambda self: self.dataset.num_classes)

    @property
    def n_val(self) -> int:
        """Validation images: the resolution of a fitness value is 1 / n_val."""
        return len(self.dataset.val_y)

    def _data(self) -> dict[str, torch.Tensor]:
        if self._device_data is None:
            self._device_data = self.dataset.search_tensors(self.device, self.channels_last)
        return self._device_data

    def build(self, genome: AnyGenome, seed: int | None = None) -> torch.nn.Module:
        """The decoded network, initialized from ``seed`` (default: the genome's seed)."""
        torch.manual_seed(genome_seed(self.seed, genome.key()) if seed is None else seed)
        return build_network(genome, self.input_shape, self.num_classes, self.init_channels)

    def search_data(self) -> dict[str, Any]:
        """What a run's report records about the data: its normalization and settings."""
        return {"normalization": self.dataset.normalization(), "search_data": self.dataset.settings()}

    def _build_untrained(self, genome: AnyGenome) -> torch.nn.Module:
        return build_network(genome, self.input_shape, self.num_classes, self.init_channels)

    def inherit(self, model: torch.nn.Module, parents: Sequence[AnyGenome] = ()) -> dict[str, float]:
        """Load ``model``'s inherited units; returns the shares of its parameters by source
        (``parent``, ``store``, ``fresh``)."""
        return self.inheriting.start(model, parents, self._build_untrained).sources

    def train_genome(
        self,
        genome: AnyGenome,
        epochs: int | None = None,
        parents: Sequence[AnyGenome] | None = None,
        key: str | None = None,
    ) -> dict[str, Any]:
        """One evaluation, straight through: build -> inherit -> train -> score -> keep
        (no archive look-up). ``parents`` default to those noted for it
        (:meth:`note_parents`); ``key`` (the seed and the saved state's name) to
        :meth:`eval_key`."""
        start = time.perf_counter()
        key = key or self.eval_key(genome)
        model = self.build(genome, seed=genome_seed(self.seed, key))
        params, flops = count_params(model), count_flops(model, self.input_shape)
        begin = self.inheriting.start(
            model, self.parents_of(genome) if parents is None else parents, self._build_untrained
        )
        lr = self.lr * begin.lr_scale
        data = self._data()
        result = train_model(
            model,
            data["train_x"],
            data["train_y"],
            self.recipe.replace(epochs=epochs or self.epochs, lr=lr, warmup=begin.warmup),
            seed=genome_seed(self.seed, key),
            progress=f"training N={genome.n_cells}" if self.progress else None,
            keep_bar=False,
        )
        scores = self._score(model, key, result)
        return {
            **scores,
            "params": params,
            "macs": flops // 2,
            "flops": flops,
            "seconds": time.perf_counter() - start,
            "epochs": result.epochs,
            "inherited_fraction": begin.inherited,
            "sources": begin.sources,
            "lr": lr,
            "warmup": begin.warmup,
            "status": result.status,
            "reason": result.reason,
        }

    def _score(self, model: torch.nn.Module, key: str, result) -> dict[str, float]:
        """Validation accuracy of a trained ``model`` (and test accuracy with
        ``score_test``), its state kept for its children; 0 when the training failed."""
        accuracy = test_accuracy = 0.0
        if not result.ok:
            log.warning("%s: training ended with status %s (%s); it scores 0", key, result.status, result.reason)
        else:
            data = self._data()
            recalibrate_batchnorm(model, data["train_x"], batch_size=self.batch_size, device=self.device)
            accuracy = evaluate_accuracy(model, data["val_x"], data["val_y"], **self.recipe.scoring())
            if self.score_test:
                test_accuracy = self.test_accuracy(model)
            self.inheriting.keep(key, model)
        return {**({"test_accuracy": test_accuracy} if self.score_test else {}), "accuracy": accuracy}

    def test_accuracy(self, model: torch.nn.Module) -> float:
        """``model``'s accuracy on the test images (kept on the host: a study's extra pass)."""
        d = self.dataset
        return evaluate_accuracy(model, d.test_x, d.test_y, **self.recipe.scoring())

    def update_store(self, population: Iterable[tuple[AnyGenome, float]]) -> list[str]:
        """Steps 1-4 of Sec. IV-B2 (:meth:`Inheritance.update_store`); without a weight
        store there is nothing to update: returns []."""
        return self.inheriting.update_store(population, self._build_untrained)

    def train_supernet(
        self, epochs: int = 5, n_reductions: int | None = None, mode: str = "mean", cover: bool = True
    ) -> dict[str, Any]:
        """Alg. 2 lines 2-3: :func:`~tsenas_pymoo.evaluation.supernet.train_supernet` on this
        evaluator's data, width, seed and recipe, into its store."""
        if self.store is None:
            raise ValueError("train_supernet: this evaluator has no weight store; pass store=FOLDER")
        torch.manual_seed(self.seed)
        shape = (self.input_shape, self.num_classes, self.init_channels)
        supernet = SuperNet(*shape, seed=self.seed, n_reductions=n_reductions, mode=mode, cover=cover)
        recipe = self.recipe.replace(epochs=epochs)
        return train_supernet(supernet, self.store, self._data(), recipe, seed=self.seed, progress=self.progress)


__all__ = ["TorchEvaluator", "failed_result", "genome_seed"]
