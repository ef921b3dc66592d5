"""Final training of the best network (Alg. 1 line 15), the genotype format, and loading a
saved network for inference (normalization included)."""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from .config import finite_number
from .evaluation.augment import Augment, make_augment
from .evaluation.data import Dataset, load_dataset
from .evaluation.trainer import evaluate_accuracy, recalibrate_batchnorm, train_model
from .space.cells import CELLS
from .space.genome import EMPTY_NODE, AnyGenome, CellGenome, FineGenome
from .space.network import build_network, count_flops, count_params
from .space.ops import OP_CODES, OPS

FORMAT = "tsenas-genotype/1"


def genotype_dict(
    genome: AnyGenome, input_shape: Sequence[int], num_classes: int, init_channels: int, **extra: Any
) -> dict[str, Any]:
    """A readable genotype: cell names, inputs and ops by name; pruned nodes are null."""
    fine = genome.expand()
    cells = []
    for j, (free, cell) in enumerate(zip(fine.free_inputs, fine.cells), start=1):
        nodes = [
            None if node == EMPTY_NODE else {"inputs": [node[0], node[1]], "ops": [OPS[node[2]][0], OPS[node[3]][0]]}
            for node in cell.nodes
        ]
        cells.append(
            {
                "cell": CELLS[cell.code].name,
                "code": cell.code,
                "type": "reduction" if cell.reduction else "normal",
                "inputs": [free, j - 1],
                "modified": not cell.is_published,
                "nodes": nodes,
            }
        )
    return {
        "format": FORMAT,
        "key": fine.key(),
        "input_shape": list(input_shape),
        "num_classes": num_classes,
        "init_channels": init_channels,
        "cells": cells,
        **extra,
    }


def save_genotype(path: str | Path, genome: AnyGenome, input_shape, num_classes, init_channels, **extra) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(genotype_dict(genome, input_shape, num_classes, init_channels, **extra), indent=1))
    return path


def load_genotype(path: str | Path) -> tuple[FineGenome, dict[str, Any]]:
    """The genome and the settings saved with it; a clear error for a foreign file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"genotype file {path} does not exist")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise ValueError(f"genotype file {path}: not JSON ({err})") from err
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"genotype file {path}: 'format' is not {FORMAT!r}; rule: a file written by tsenas")
    missing = [k for k in ("cells", "input_shape", "num_classes", "init_channels") if k not in data]
    if missing:
        raise ValueError(f"genotype file {path}: missing {', '.join(missing)}; rule: as written by tsenas")
    cells = data["cells"]
    if not (
        isinstance(cells, list)
        and cells
        and all(
            isinstance(c, dict)
            and isinstance(c.get("nodes"), list)
            and all(
                n is None
                or (
                    isinstance(n, dict)
                    and isinstance(n.get("ops"), list)
                    and len(n["ops"]) == 2
                    and isinstance(n.get("inputs"), list)
                    and len(n["inputs"]) == 2
                )
                for n in c["nodes"]
            )
            for c in cells
        )
    ):
        raise ValueError(
            f"genotype file {path}: cells is malformed; rule: a list of cells, each with nodes of two "
            f"inputs and two ops (as written by tsenas)"
        )
    unknown = sorted(
        {
            str(op)
            for cell in cells
            for n in cell["nodes"]
            if n is not None
            for op in n["ops"]
            if not isinstance(op, str) or op not in OP_CODES
        }
    )
    if unknown:
        raise ValueError(
            f"genotype file {path}: unknown op {', '.join(map(repr, unknown))}; rule: one of {', '.join(OP_CODES)}"
        )
    try:
        cells, frees = [], []
        for _j, cell in enumerate(data["cells"], start=1):
            nodes = tuple(
                EMPTY_NODE
                if n is None
                else (n["inputs"][0], n["inputs"][1], OP_CODES[n["ops"][0]], OP_CODES[n["ops"][1]])
                for n in cell["nodes"]
            )
            cells.append(CellGenome(int(cell["code"]), nodes))
            frees.append(int(cell["inputs"][0]))
    except (KeyError, TypeError, IndexError, ValueError) as err:
        raise ValueError(
            f"genotype file {path}: cell entry is malformed ({err!r}); rule: as written by tsenas"
        ) from err
    _check_settings(data, path)
    genome = FineGenome(tuple(frees), tuple(cells)).validate(input_shape=data.get("input_shape"))
    return genome, data


def _check_settings(data: dict, path: Path) -> None:
    """The network settings of a genotype file: one line naming the field and the rule."""

    def whole(value, lo, hi):
        return isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi

    shape = data["input_shape"]
    if not (
        isinstance(shape, list)
        and len(shape) == 3
        and whole(shape[0], 1, 64)
        and all(whole(v, 1, 4096) for v in shape[1:])
    ):
        raise ValueError(f"genotype file {path}: input_shape={shape!r}; rule: [channels 1-64, height, width 1-4096]")
    for name, hi in (("num_classes", 100_000), ("init_channels", 4096)):
        if not whole(data[name], 1 if name == "num_classes" else 2, hi):
            raise ValueError(
                f"genotype file {path}: {name}={data[name]!r}; rule: an integer from "
                f"{1 if name == 'num_classes' else 2} to {hi}"
            )
    stats = data.get("normalization")
    if stats is not None and not (
        isinstance(stats, dict)
        and all(
            isinstance(stats.get(k), list) and len(stats[k]) == shape[0] and all(map(finite_number, stats[k]))
            for k in ("mean", "std")
        )
        and all(v > 0 for v in stats["std"])
    ):
        raise ValueError(
            f"genotype file {path}: normalization is malformed; rule: mean and std lists of one finite "
            f"number per channel, std > 0"
        )


def train_final(
    genome: AnyGenome,
    dataset: Dataset | str = "digits",
    epochs: int = 50,
    init_channels: int = 16,
    batch_size: int = 128,
    lr: float = 0.1,
    seed: int = 0,
    device: str | None = None,
    out_dir: str | Path | None = None,
    progress: bool = False,
    augment: Augment | str | None = "auto",
    cutout: int = 0,
    label_smoothing: float = 0.0,
) -> dict[str, Any]:
    """Train the network of ``genome`` on train + validation and report the test set.

    The paper's recipe (Sec. V-C): ``augment="auto"`` crops with padding and, where it is
    right, flips, for Fashion-MNIST and CIFAR (nothing for digits-like data; see
    :func:`~tsenas_pymoo.evaluation.augment.make_augment`), ``cutout`` pixels (0: off),
    ``label_smoothing`` (0: off). All on the device, seeded by ``seed``.
    With ``out_dir``, writes ``genotype.json`` and ``weights.safetensors`` there.
    """
    data = load_dataset(dataset) if isinstance(dataset, str) else dataset
    torch.manual_seed(seed)
    model = build_network(genome, data.input_shape, data.num_classes, init_channels)
    report = fit_and_test(
        model,
        data,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        progress=progress,
        augment=augment,
        cutout=cutout,
        label_smoothing=label_smoothing,
    )
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
        save_file(
            {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()},
            str(out / "weights.safetensors"),
            metadata={"genome": genome.key(), "normalization": json.dumps(normalization(data))},
        )
        report["out_dir"] = str(out)
    return report


def fit_and_test(
    model: torch.nn.Module,
    data: Dataset,
    epochs: int = 50,
    batch_size: int = 128,
    lr: float = 0.1,
    seed: int = 0,
    device: str | None = None,
    progress: bool = False,
    augment: Augment | str | None = "auto",
    cutout: int = 0,
    label_smoothing: float = 0.0,
) -> dict[str, Any]:
    """The final recipe on any model (the searched network or a hand-designed baseline):
    train on train + validation, recalibrate batch norm, test. Returns the report."""
    augmentation = make_augment(augment, data.name, data.input_shape, cutout)
    params, flops = count_params(model), count_flops(model, data.input_shape)
    x, y = data.full_train()
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=epochs, desc="final training", unit="epoch")
    start = time.perf_counter()
    result = train_model(
        model,
        x,
        y,
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        seed=seed,
        device=device,
        augment=augmentation,
        label_smoothing=label_smoothing,
        on_epoch=(lambda e, loss: (bar.update(1), bar.set_postfix(loss=f"{loss:.3f}"))) if bar else None,
    )
    if bar is not None:
        bar.close()
    accuracy = 0.0
    if result.ok:
        recalibrate_batchnorm(model, x, batch_size=batch_size, device=device)
        accuracy = evaluate_accuracy(model, data.test_x, data.test_y, device=device)
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
        "augment": augmentation.describe(),
        "lr": lr,
        "batch_size": batch_size,
        "seed": seed,
        "label_smoothing": label_smoothing,
        "data": data.settings(),
    }


def normalization(data: Dataset) -> dict[str, list[float]]:
    """The per-channel mean and std the data set's images were normalized with."""
    return {"mean": [float(v) for v in data.mean], "std": [float(v) for v in data.std]}


class Normalize(torch.nn.Module):
    """(x - mean) / std per channel: the data set's normalization, inside the model."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]):
        super().__init__()
        if len(mean) != len(std) or not len(mean) or min(std) <= 0:
            raise ValueError(
                f"normalization mean={list(mean)}, std={list(std)}; rule: one mean and one positive std per channel"
            )
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std


def load_network(
    genotype_path: str | Path, weights_path: str | Path | None = None, normalize: bool = True
) -> torch.nn.Module:
    """Rebuild a saved network (and load its safetensors weights when given).

    With ``normalize`` (default) and a genotype that records its data set's normalization
    (every file tsenas writes since 0.2), the model takes images scaled to [0, 1] (uint8
    / 255, as the data loaders scale them) at the genotype's ``input_shape`` and
    normalizes them itself: ``model[0]`` is :class:`Normalize`, ``model[1]`` the network.
    Otherwise the network alone, which expects normalized images.
    """
    genome, meta = load_genotype(genotype_path)
    network = build_network(genome, meta["input_shape"], meta["num_classes"], meta["init_channels"])
    if weights_path is not None:
        try:
            state = load_file(str(weights_path))
        except (SafetensorError, OSError) as err:
            raise ValueError(
                f"{weights_path} cannot be read as safetensors ({err}); rule: the weights file tsenas "
                f"wrote (train again to make a new one)"
            ) from None
        try:
            network.load_state_dict(state)
        except RuntimeError as err:
            first = str(err).strip().splitlines()[0] if str(err).strip() else "shapes differ"
            raise ValueError(
                f"{weights_path} does not fit the network of {genotype_path} ({first}); rule: the "
                f"weights and genotype of one run"
            ) from None
    stats = meta.get("normalization")
    if not normalize or not stats:
        return network
    return torch.nn.Sequential(OrderedDict(normalize=Normalize(stats["mean"], stats["std"]), network=network))
