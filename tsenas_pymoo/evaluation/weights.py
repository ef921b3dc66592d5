"""The on-disk weight store of cell-based weight inheritance (Sec. IV-B2).

Trained weights are kept at the operation level: one safetensors file per unit, keyed by
cell code, width, node, input slot, op and stride (plus each cell's two input adapters,
the stem and the classifier). A network takes every unit the store has that it did not
get from a parent (``lineage.py``). ``trained/`` keeps the trained state of every living
individual: the lineage's parents, and Steps 1-4's input.

Writes are atomic (temporary file + ``os.replace``) under a ``filelock`` so several
worker processes can share one store. Each file carries a SHA-256 of its tensors; a
corrupt or truncated file is reported once, deleted (to be rebuilt by the next update)
and never loaded into a network.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import torch
from filelock import FileLock, Timeout
from safetensors import SafetensorError
from safetensors.torch import load, save
from torch import nn

from .. import faults
from ..rundir import LinkedEntry, atomic_write, inside, read_bytes
from ..space.network import CellModule, TSENASNetwork, count_params

log = logging.getLogger(__name__)


def adapter_key(code: int, channels: int, c_free: int, halvings: int) -> str:
    """Store key of the free-input adapter of a cell ``code`` at width ``channels`` whose
    free input has ``c_free`` channels and is ``halvings`` resolution halvings away."""
    return f"cell{code}_w{channels}_pre0_in{c_free}_h{halvings}"


def cell_units(cell: CellModule, free_adapter: bool = True) -> list[tuple[str, nn.Module]]:
    """(key, module) of each weighted part of one cell (``free_adapter=False``: all but
    the free-input adapter)."""
    base = f"cell{cell.cell.code}_w{cell.channels}"
    units = [(adapter_key(cell.cell.code, cell.channels, cell.c_free, cell.free_halvings), cell.preprocess0)]
    units = units if free_adapter else []
    units.append((f"{base}_pre1_in{cell.c_prev}", cell.preprocess1))
    for name, module in cell.edges.items():
        op, stride = cell.edge_specs[name]
        units.append((f"{base}_{name}_op{op}_s{stride}", module))
    return units


def weight_units(model: nn.Module, cells: Iterable[CellModule] | None = None) -> dict[str, list[nn.Module]]:
    """Key -> the modules of ``model`` that carry it (equal cells share keys); units
    without parameters or buffers (pooling, identity) are left out. ``model`` is a
    network or the SuperNet (with ``cells``: every candidate cell of its slots)."""
    stem_out = model.stem[0].out_channels
    pairs = [(f"stem_in{model.in_channels}_c{stem_out}", model.stem)]
    for cell in model.cells if cells is None else cells:
        pairs += cell_units(cell)
    pairs.append((f"classifier_in{model.classifier.in_features}_k{model.num_classes}", model.classifier))
    units: dict[str, list[nn.Module]] = {}
    for key, module in pairs:
        if any(True for _ in module.state_dict()):
            units.setdefault(key, []).append(module)
    return units


def _digest(state: dict[str, torch.Tensor]) -> str:
    h = hashlib.sha256()
    for name in sorted(state):
        h.update(name.encode())
        h.update(state[name].contiguous().reshape(-1).view(torch.uint8).numpy().tobytes())
    return h.hexdigest()


def _metadata(raw: bytes) -> dict[str, str]:
    """The ``__metadata__`` of a safetensors file's bytes (its JSON header)."""
    size = int.from_bytes(raw[:8], "little")
    if len(raw) < 8 or size > len(raw) - 8:
        raise ValueError("truncated header")
    return json.loads(raw[8 : 8 + size]).get("__metadata__") or {}


class _Locked:
    def __init__(self, lock: FileLock, root: Path):
        self.lock, self.root = lock, root

    def __enter__(self):
        try:
            self.lock.acquire()
        except Timeout:
            raise OSError(
                f"weight store {self.root}: its lock was held by another process for "
                f"{self.lock.timeout:.0f} s; rule: one search per run directory (is another one "
                f"running, or did one hang?)"
            ) from None
        return self

    def __exit__(self, *exc):
        self.lock.release()


def n_params(module: nn.Module) -> int:
    """All parameters of ``module`` (the unit of the inherited shares)."""
    return count_params(module, trainable_only=False)


class WeightStore:
    """A folder of per-unit safetensors files shared by evaluations and workers."""

    def __init__(self, path: str | os.PathLike):
        self.root = Path(path)
        self.units_dir = self.root / "units"
        self.trained_dir = self.root / "trained"
        for folder in (self.root, self.units_dir, self.trained_dir):
            if folder.is_symlink():  # its files would be read, written and deleted elsewhere
                from ..rundir import LinkedEntry

                raise LinkedEntry(f"weight store: {folder} is a symbolic link; rule: the store is a plain folder")
        self.units_dir.mkdir(parents=True, exist_ok=True)
        self.trained_dir.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.root / ".lock"), timeout=600)
        self._reported: set[str] = set()

    def __getstate__(self):  # the file lock is per process: rebuilt on the other side
        return {"root": self.root}

    def __setstate__(self, state):
        self.__init__(state["root"])

    # -- one unit ---------------------------------------------------------------------
    def unit_path(self, key: str) -> Path:
        return self.units_dir / f"{key}.safetensors"

    def __contains__(self, key: str) -> bool:
        return self.unit_path(key).exists()

    def keys(self) -> list[str]:
        return sorted(p.name[: -len(".safetensors")] for p in self.units_dir.glob("*.safetensors"))

    def _locked(self):
        """The store's file lock; a lock held too long is one clear error."""
        return _Locked(self._lock, self.root)

    def _write(self, path: Path, state: dict[str, torch.Tensor], metadata: dict[str, str]) -> None:
        state = {k: v.detach().to("cpu").contiguous().clone() for k, v in state.items()}
        metadata = dict(metadata, sha256=_digest(state))
        with self._locked(), faults.span("weights_write"):
            atomic_write(path, save(state, metadata=metadata), durable=False)  # checksummed: a lost write is rebuilt

    def _read(self, path: Path, what: str) -> dict[str, torch.Tensor] | None:
        """One read of the whole file (a replace by another process cannot fall between
        its metadata and its tensors); a corrupt file is deleted only if it is still the
        file that was read."""
        try:
            raw = read_bytes(path)  # never through a link
        except (FileNotFoundError, LinkedEntry):
            return None
        try:
            expected = _metadata(raw).get("sha256")
            state = load(raw)
            if expected is None or _digest(state) != expected:
                raise ValueError("checksum mismatch")
            return state
        except (SafetensorError, ValueError, OSError, RuntimeError) as err:
            if what not in self._reported:
                self._reported.add(what)
                log.warning("weight store: %s at %s is corrupt (%s); deleted, it will be rebuilt", what, path, err)
            with self._locked():
                try:
                    if path.read_bytes() == raw:
                        path.unlink()
                except FileNotFoundError:
                    pass
            return None

    def put(self, key: str, module: nn.Module) -> None:
        """Write one unit's state (parameters and buffers) atomically."""
        self._write(self.unit_path(key), module.state_dict(), {"key": key})

    def get(self, key: str) -> dict[str, torch.Tensor] | None:
        """One unit's state, or None when absent or corrupt (corrupt files are removed)."""
        return self._read(self.unit_path(key), key)

    # -- whole networks ---------------------------------------------------------------
    def inherit(self, model: TSENASNetwork, skip: set[int] | None = None) -> float:
        """Load every unit the store has into ``model``, except the modules whose ``id``
        is in ``skip`` (already inherited from a parent); returns the fraction of the
        model's parameters loaded here."""
        total = n_params(model)
        inherited = 0
        for key, modules in weight_units(model).items():
            modules = [m for m in modules if skip is None or id(m) not in skip]
            state = self.get(key) if modules else None
            if state is None:
                continue
            for module in modules:
                own = module.state_dict()
                if set(own) != set(state) or any(own[k].shape != state[k].shape for k in own):
                    continue
                module.load_state_dict(state)
                inherited += n_params(module)
        return inherited / total if total else 0.0

    def write_units(self, model: TSENASNetwork, skip: set[str] | None = None) -> list[str]:
        """Write every unit of ``model`` whose key is not in ``skip``; returns the keys."""
        written = []
        for key, modules in weight_units(model).items():
            if skip is not None and key in skip:
                continue
            self.put(key, modules[0])
            written.append(key)
        return written

    # -- trained networks awaiting an update (Steps 1-4) ------------------------------
    def trained_path(self, genome_key: str) -> Path:
        return self.trained_dir / f"{hashlib.sha256(genome_key.encode()).hexdigest()[:32]}.safetensors"

    def save_trained(self, genome_key: str, model: nn.Module) -> None:
        self._write(self.trained_path(genome_key), model.state_dict(), {"genome": genome_key})

    def load_trained(self, genome_key: str) -> dict[str, torch.Tensor] | None:
        return self._read(self.trained_path(genome_key), f"trained weights of {genome_key}")

    def load_into(self, genome_key: str, model: nn.Module, state: dict[str, torch.Tensor]) -> bool:
        """Load ``state`` (the trained state of ``genome_key``) into ``model``; False when it
        does not fit (tensors of other names or shapes: written under other settings), which
        is then treated as absent."""
        own = model.state_dict()
        if set(own) != set(state) or any(own[k].shape != state[k].shape for k in own):
            if genome_key not in self._reported:
                self._reported.add(genome_key)
                log.warning("weight store: trained weights of %s do not fit its network; not used", genome_key)
            return False
        model.load_state_dict(state)
        return True

    def promote_trained(self, source_key: str, genome_key: str) -> bool:
        """Make the state saved under ``source_key`` (a re-evaluation) the state of
        ``genome_key`` (an atomic rename); False when there is none."""
        with self._locked():
            try:
                os.replace(self.trained_path(source_key), self.trained_path(genome_key))
            except FileNotFoundError:
                return False
        return True

    def retain_trained(self, genome_keys: Iterable[str]) -> int:
        """Delete the trained states of every genome not in ``genome_keys`` (the living
        population): the folder stays bounded by the population. Returns the number
        deleted."""
        keep = {self.trained_path(key).name for key in genome_keys}
        deleted = 0
        with self._locked():
            for path in self.trained_dir.glob("*.safetensors"):
                if path.name not in keep and inside(path, self.root):
                    path.unlink(missing_ok=True)
                    deleted += 1
        return deleted


def update_from_ranked(store: WeightStore, ranked_models: Iterable[TSENASNetwork]) -> list[str]:
    """Sec. IV-B2 Steps 1-4: walk the networks from the best down and write each unit not
    yet written in this round. Returns the keys written."""
    written: set[str] = set()
    order: list[str] = []
    for model in ranked_models:
        faults.point("store")
        for key in store.write_units(model, skip=written):
            written.add(key)
            order.append(key)
    return order
