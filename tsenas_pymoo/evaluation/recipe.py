"""How a network is trained (Sec. IV-B2, Sec. V-C): one value every trainer takes.

A :class:`TrainRecipe` holds the optimizer (SGD with momentum and weight decay), the
schedule (an optional linear warm-up, then cosine), the batch, the augmentation and
label smoothing, and where the training runs (device, bf16 autocast on CUDA, memory
format). The short trainings of a search, the SuperNet, re-scoring, the final training
and the benchmarks' baselines all take one, so a recipe is written once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from .augment import Augment, make_augment


@dataclass(frozen=True)
class TrainRecipe:
    """``epochs`` (paper: 10 for a search's short trainings), ``batch_size``, peak ``lr``
    with ``momentum`` and ``weight_decay``; ``warmup``: the fraction of the steps the
    learning rate rises over before the cosine decay (0: none); ``augment``: an
    :class:`~tsenas_pymoo.evaluation.augment.Augment` or a spec for ``make_augment``
    ("auto", "none", "crop,flip"), with ``cutout`` pixels (resolved per data set by
    :meth:`for_data`); ``label_smoothing`` (0: none); ``device`` (None: CUDA when
    present), ``amp`` (bf16 autocast on CUDA), ``channels_last`` (memory format)."""

    epochs: int = 10
    batch_size: int = 128
    lr: float = 0.05
    momentum: float = 0.9
    weight_decay: float = 3e-4
    warmup: float = 0.0
    augment: Augment | str | None = None
    cutout: int = 0
    label_smoothing: float = 0.0
    device: str | None = None
    amp: bool = True
    channels_last: bool = True

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError(f"epochs={self.epochs}; rule: at least 1")
        if self.batch_size < 2:
            raise ValueError(f"batch_size={self.batch_size}; rule: at least 2 (batch norm)")
        if not 0.0 <= self.warmup < 1.0:
            raise ValueError(f"warmup={self.warmup}; rule: a fraction of the steps, 0 <= value < 1")
        if not 0.0 <= self.label_smoothing < 1.0:
            raise ValueError(f"label_smoothing={self.label_smoothing}; rule: 0 <= value < 1")

    def replace(self, **changes: Any) -> TrainRecipe:
        """This recipe with ``changes`` (checked again)."""
        return dataclasses.replace(self, **changes) if changes else self

    def for_data(self, dataset: str, input_shape) -> TrainRecipe:
        """This recipe with its augmentation resolved for a data set (an ``Augment``)."""
        if isinstance(self.augment, Augment):
            return self
        return self.replace(augment=make_augment(self.augment, dataset, input_shape, self.cutout))

    def scoring(self) -> dict[str, Any]:
        """The keywords of ``evaluate_accuracy`` this recipe decides: where and how it runs."""
        return {"device": self.device, "amp": self.amp, "channels_last": self.channels_last}


__all__ = ["TrainRecipe"]
