"""The final training of the best network (Alg. 1 line 15): train on train + validation
with the paper's recipe and report the test set, for the searched network or any model."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save

from . import faults
from .evaluation.data import Dataset, load_dataset
from .evaluation.recipe import TrainRecipe
from .evaluation.trainer import evaluate_accuracy, recalibrate_batchnorm, train_model
from .genotype import normalization, save_genotype
from .rundir import atomic_write
from .space.genome import AnyGenome
from .space.network import build_network, count_flops, count_params

#: The final training's defaults (Sec. V-C): 50 epochs at lr 0.1, augmented where it is right.
FINAL = TrainRecipe(epochs=50, lr=0.1, augment="auto")


def train_final(
    genome: AnyGenome,
    dataset: Dataset | str = "digits",
    recipe: TrainRecipe | None = None,
    init_channels: int = 16,
    seed: int = 0,
    out_dir: str | Path | None = None,
    progress: bool = False,
    **recipe_fields: Any,
) -> dict[str, Any]:
    """Train the network of ``genome`` on train + validation and report the test set.

    The paper's recipe (Sec. V-C), :data:`FINAL` unless ``recipe`` (or its fields as
    keywords, ``epochs=20, cutout=16``) says otherwise: ``augment="auto"`` crops with
    padding and, where it is right, flips, for Fashion-MNIST and CIFAR (nothing for
    digits-like data; see :func:`~tsenas_pymoo.evaluation.augment.make_augment`),
    ``cutout`` pixels (0: off), ``label_smoothing`` (0: off). All on the device, seeded by
    ``seed``. With ``out_dir``, writes ``genotype.json`` and ``weights.safetensors`` there.
    """
    data = load_dataset(dataset) if isinstance(dataset, str) else dataset
    torch.manual_seed(seed)
    model = build_network(genome, data.input_shape, data.num_classes, init_channels)
    report = fit_and_test(model, data, (recipe or FINAL).replace(**recipe_fields), seed=seed, progress=progress)
    report = {"genome": genome.key(), **report}
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        save_genotype(
            out / "genotype.json",
            genome,
            data.input_shape,
            data.num_classes,
            init_channels,
            normalization=normalization(data),
            report={k: v for k, v in report.items() if k != "genome"},
        )
        state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
        metadata = {"genome": genome.key(), "normalization": json.dumps(normalization(data))}
        with faults.span("weights_write"):
            atomic_write(out / "weights.safetensors", save(state, metadata=metadata))
        report["out_dir"] = str(out)
    return report


def fit_and_test(
    model: torch.nn.Module,
    data: Dataset,
    recipe: TrainRecipe | None = None,
    seed: int = 0,
    progress: bool = False,
    **recipe_fields: Any,
) -> dict[str, Any]:
    """The final recipe (:data:`FINAL`, or ``recipe`` and its fields as keywords) on any
    model (the searched network or a hand-designed baseline): train on train +
    validation, recalibrate batch norm, test. Returns the report."""
    recipe = (recipe or FINAL).replace(**recipe_fields).for_data(data.name, data.input_shape)
    params, flops = count_params(model), count_flops(model, data.input_shape)
    x, y = data.full_train()
    start = time.perf_counter()
    result = train_model(model, x, y, recipe, seed=seed, progress="final training" if progress else None)
    accuracy = 0.0
    if result.ok:
        recalibrate_batchnorm(model, x, batch_size=recipe.batch_size, device=recipe.device)
        accuracy = evaluate_accuracy(model, data.test_x, data.test_y, device=recipe.device)
    return {
        "dataset": data.name,
        "test_accuracy": accuracy,
        "test_error": 1 - accuracy,
        "params": params,
        "macs": flops // 2,
        "flops": flops,
        "epochs": result.epochs,
        "status": result.status,
        "seconds": time.perf_counter() - start,
        "augment": recipe.augment.describe(),
        "lr": recipe.lr,
        "batch_size": recipe.batch_size,
        "seed": seed,
        "label_smoothing": recipe.label_smoothing,
        "data": data.settings(),
    }


__all__ = ["fit_and_test", "train_final"]
