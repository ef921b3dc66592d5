"""The genotype file (``best_genotype.json``: cells, inputs and ops by name, the data
settings and normalization) and loading a saved network for inference."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file

from .config import finite_number
from .evaluation.data import Dataset
from .space.cells import CELLS
from .space.genome import EMPTY_NODE, AnyGenome, CellGenome, FineGenome
from .space.network import build_network
from .space.ops import OP_CODES, OPS

#: The ``format`` field of a genotype file.
GENOTYPE_FORMAT = "tsenas-genotype/1"


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
        "format": GENOTYPE_FORMAT,
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
    from .rundir import atomic_write

    atomic_write(
        path, json.dumps(genotype_dict(genome, input_shape, num_classes, init_channels, **extra), indent=1).encode()
    )
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
    if not isinstance(data, dict) or data.get("format") != GENOTYPE_FORMAT:
        raise ValueError(f"genotype file {path}: 'format' is not {GENOTYPE_FORMAT!r}; rule: a file written by tsenas")
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
    if not whole(data["num_classes"], 1, 100_000):
        raise ValueError(
            f"genotype file {path}: num_classes={data['num_classes']!r}; rule: an integer from 1 to 100000"
        )
    width = data["init_channels"]
    if not (finite_number(width) and 2 <= width <= 4096 and float(width * 8).is_integer()):
        raise ValueError(
            f"genotype file {path}: init_channels={width!r}; rule: a number from 2 to 4096, a multiple of 1/8"
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


def normalization(data: Dataset) -> dict[str, list[float]]:
    """The per-channel mean and std the data set's images were normalized with."""
    return data.normalization()


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


__all__ = [
    "GENOTYPE_FORMAT",
    "Normalize",
    "genotype_dict",
    "load_genotype",
    "load_network",
    "normalization",
    "save_genotype",
]
