"""Short training of a decoded network (Sec. IV-B2: 10 epochs per individual, Sec. V-C).

SGD (momentum 0.9, weight decay 3e-4) with a cosine learning rate (optionally after a
linear warm-up: the warm-start schedule of inherited networks), on data that lives as
tensors on the device and is sliced there (no per-batch worker processes). channels_last
memory format is used on every device (it is faster on CPU too), bf16 autocast on CUDA.
A loss that turns NaN or infinite stops the training with status ``"nan"``; a CUDA
out-of-memory retries from the start at half the batch, down to ``MIN_BATCH``, then ends
with status ``"oom"``.
"""

from __future__ import annotations

import contextlib
import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from .recipe import TrainRecipe

#: The smallest batch the out-of-memory retry goes down to.
MIN_BATCH = 8


@dataclass
class TrainResult:
    status: str = "ok"  # ok | nan | oom
    reason: str = ""
    epochs: int = 0
    seconds: float = 0.0
    images: int = 0
    batch_size: int = 0
    losses: list[float] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def pick_device(device: str | torch.device | None = None) -> torch.device:
    """CUDA when present unless ``device`` forces one ("cpu", "cuda", "cuda:1", ...)."""
    if device is None or device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise ValueError(f"device={device!r}; rule: cpu, cuda or cuda:N") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={device!r}: CUDA is not available here; rule: use 'cpu' or leave it unset")
    return dev


def _autocast(device: torch.device, enabled: bool):
    if not (enabled and device.type == "cuda"):
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


def _schedule(optimizer, total: int, warmup: float):
    """Cosine annealing over ``total`` steps; with ``warmup`` (a fraction of them) the
    learning rate first rises linearly from lr / warm-up steps to lr."""
    warm = int(round(warmup * total))
    if warm < 1:
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=total)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return 0.5 * (1 + math.cos(math.pi * (step - warm) / max(1, total - warm)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _fit(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    recipe: TrainRecipe,
    generator: torch.Generator,
    device: torch.device,
    on_epoch: Callable[[int, float], None] | None,
    on_batch: Callable[[int], None] | None = None,
) -> TrainResult:
    batch_size = recipe.batch_size
    result = TrainResult(batch_size=batch_size)
    n = len(y)
    steps_per_epoch = max(1, n // batch_size if n % batch_size < 2 else n // batch_size + 1)
    optimizer = torch.optim.SGD(
        model.parameters(), lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay
    )
    schedule = _schedule(optimizer, recipe.epochs * steps_per_epoch, recipe.warmup)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=recipe.label_smoothing)
    augment = recipe.augment if recipe.augment is not None and recipe.augment.active else None
    model.train()
    start = time.perf_counter()
    for epoch in range(recipe.epochs):
        order = torch.randperm(n, generator=generator).to(device, non_blocking=True)
        total = torch.zeros((), device=device)
        for step in range(steps_per_epoch):
            idx = order[step * batch_size : (step + 1) * batch_size]
            batch = x[idx] if augment is None else augment(x[idx], generator)
            with _autocast(device, recipe.amp):
                loss = loss_fn(model(batch), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.detach().float()
            result.images += len(idx)
            if on_batch is not None:
                on_batch(len(idx))
        mean_loss = float(total) / steps_per_epoch
        result.epochs = epoch + 1
        result.losses.append(mean_loss)
        if not math.isfinite(mean_loss):
            result.status, result.reason = "nan", f"loss became {mean_loss} in epoch {epoch + 1}"
            break
        if on_epoch is not None:
            on_epoch(epoch + 1, mean_loss)
    result.seconds = time.perf_counter() - start
    return result


class _Bar:
    """A training's progress bar over its images (the caller's callbacks still called)."""

    def __init__(self, desc, images, keep, on_epoch, on_batch):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=images, desc=desc, unit="img", unit_scale=True, leave=keep)
        self.on_epoch, self.on_batch = on_epoch, on_batch

    def epoch(self, epoch: int, loss: float) -> None:
        self.bar.set_postfix(epoch=epoch, loss=f"{loss:.3f}")
        if self.on_epoch is not None:
            self.on_epoch(epoch, loss)

    def batch(self, images: int) -> None:
        self.bar.update(images)
        if self.on_batch is not None:
            self.on_batch(images)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()


def train_model(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    recipe: TrainRecipe | None = None,
    *,
    seed: int = 0,
    on_epoch: Callable[[int, float], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
    progress: str | None = None,
    keep_bar: bool = True,
    **fields: Any,
) -> TrainResult:
    """Train ``model`` in place on ``(x, y)`` by ``recipe`` (a
    :class:`~tsenas_pymoo.evaluation.recipe.TrainRecipe`; ``fields``: any of its fields,
    over it or over the defaults); returns a :class:`TrainResult`.

    ``on_epoch(epoch, mean_loss)`` and ``on_batch(images)`` report progress; ``progress``
    (a description) shows a bar over the training's images, with its total and an ETA
    from the first batches (``keep_bar`` False: it goes when done).
    The recipe's augmentation must be resolved (an ``Augment`` or None:
    ``recipe.for_data(name, input_shape)``); it transforms each batch on the device.
    ``x`` and ``y`` are moved to the device once (pass them already there to skip that).
    The batch order comes from a generator seeded with ``seed``: the same model, data and
    seed give the same weights on the same device.
    """
    recipe = (recipe or TrainRecipe()).replace(**fields)
    if progress is not None:
        with _Bar(progress, recipe.epochs * len(y), keep_bar, on_epoch, on_batch) as bar:
            return train_model(model, x, y, recipe, seed=seed, on_epoch=bar.epoch, on_batch=bar.batch)
    if isinstance(recipe.augment, str) or (recipe.augment is None and recipe.cutout):
        raise ValueError(
            f"augment={recipe.augment!r}, cutout={recipe.cutout}: a spec; rule: resolve it for the data "
            f"first, recipe.for_data(dataset_name, input_shape)"
        )
    dev = pick_device(recipe.device)
    memory_format = torch.channels_last if recipe.channels_last else torch.contiguous_format
    model.to(dev, memory_format=memory_format)
    x = x.to(dev, memory_format=memory_format)
    y = y.to(dev)
    initial = copy.deepcopy(model.state_dict())  # to restart from after an out-of-memory
    while True:
        generator = torch.Generator().manual_seed(seed)
        try:
            return _fit(model, x, y, recipe, generator, dev, on_epoch, on_batch)
        except torch.cuda.OutOfMemoryError as err:
            reason = f"CUDA out of memory at batch {recipe.batch_size}: {err}"[:300]
        # outside the except block, so the traceback no longer holds the activations
        torch.cuda.empty_cache()
        if recipe.batch_size // 2 < MIN_BATCH:
            return TrainResult(status="oom", reason=reason, batch_size=recipe.batch_size)
        model.load_state_dict(initial)
        recipe = recipe.replace(batch_size=recipe.batch_size // 2)


@torch.no_grad()
def evaluate_accuracy(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    *,
    batch_size: int = 1024,
    device: str | torch.device | None = None,
    amp: bool = True,
    channels_last: bool = True,
) -> float:
    """Top-1 accuracy of ``model`` on ``(x, y)`` in eval mode. A CUDA out-of-memory
    halves the batch, down to ``MIN_BATCH``, then raises."""
    dev = pick_device(device)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(dev, memory_format=memory_format).eval()
    x = x.to(dev, memory_format=memory_format)
    y = y.to(dev)
    while True:
        try:
            correct = _count_correct(model, x, y, batch_size, dev, amp)
            break
        except torch.cuda.OutOfMemoryError:
            if batch_size // 2 < MIN_BATCH:
                raise
        torch.cuda.empty_cache()
        batch_size //= 2
    model.train()
    return float(correct) / max(1, len(y))


def _count_correct(model, x, y, batch_size, dev, amp) -> torch.Tensor:
    correct = torch.zeros((), dtype=torch.long, device=dev)
    for start in range(0, len(y), batch_size):
        with _autocast(dev, amp):
            logits = model(x[start : start + batch_size])
        correct += (logits.argmax(1) == y[start : start + batch_size]).sum()
    return correct


@torch.no_grad()
def recalibrate_batchnorm(
    model: nn.Module,
    x: torch.Tensor,
    *,
    batch_size: int = 128,
    batches: int = 4,
    device: str | torch.device | None = None,
) -> None:
    """Re-estimate batch-norm running statistics on a few training batches.

    After a short training the running averages lag far behind the weights; NAS
    evaluators commonly recalibrate before validating (docs/evaluation.md). Uses the first ``batches`` batches
    of ``x`` in order, so it is deterministic.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not norms:
        return
    dev = pick_device(device)
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative average over the batches below
    model.train()
    for b in range(batches):
        chunk = x[b * batch_size : (b + 1) * batch_size]
        if len(chunk) < 2:
            break
        with _autocast(dev, True):
            model(chunk.to(dev))
    for m, momentum in zip(norms, momenta):
        m.momentum = momentum
