"""The surrogate benchmark's table: networks of the TS-ENAS space trained once, for good.

``table.csv`` holds one row per (network, training seed): ``key`` (the genome key the
archives use), ``stage`` (1: a chain of published cells; 2: with edited cells), ``seed``,
``val_accuracy`` (the fitness a search sees: the preset's validation pool),
``test_accuracy`` (the 10,000 test images), ``params``, ``macs``, ``seconds`` (training
and scoring on one CPU thread) and ``origin`` (how it was drawn: alg3, mutation,
crossover, edit, comparison). ``table.json`` beside it records the exact settings that
made it (the preset's values), the space (input shape, classes, N_min, N_max), the
package version and the row count.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..space.genome import genome_from_key

COLUMNS = ("key", "stage", "seed", "val_accuracy", "test_accuracy", "params", "macs", "seconds", "origin")
SHIPPED = Path(__file__).resolve().parent / "data" / "table.csv"
META_FIELDS = ("settings", "input_shape", "num_classes", "n_min", "n_max", "version")


@dataclass
class BenchTable:
    """The rows of ``table.csv`` (as column arrays) and ``table.json``'s metadata."""

    columns: dict[str, np.ndarray]
    meta: dict
    path: Path | None = None
    _networks: dict | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.columns["key"])

    @property
    def input_shape(self) -> tuple[int, int, int]:
        return tuple(self.meta["input_shape"])

    @property
    def n_min(self) -> int:
        return int(self.meta["n_min"])

    @property
    def n_max(self) -> int:
        return int(self.meta["n_max"])

    def networks(self) -> dict[str, dict]:
        """key -> {"val": [per seed], "test": [...], "params", "macs", "stage", "origin"}."""
        if self._networks is None:
            out: dict[str, dict] = {}
            c = self.columns
            for i, key in enumerate(c["key"]):
                net = out.setdefault(
                    key,
                    {"val": [], "test": [], "params": int(c["params"][i]), "macs": int(c["macs"][i])},
                )
                net.update(stage=int(c["stage"][i]), origin=str(c["origin"][i]))
                net["val"].append(float(c["val_accuracy"][i]))
                net["test"].append(float(c["test_accuracy"][i]))
            self._networks = out
        return self._networks


def write_table(rows: list[dict], meta: dict, path: Path) -> Path:
    """Write ``rows`` (dicts with :data:`COLUMNS`) and ``meta`` as ``path`` and its .json."""
    missing = [k for k in META_FIELDS if k not in meta]
    if missing:
        raise ValueError(f"table meta lacks {', '.join(missing)}; rule: record {', '.join(META_FIELDS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows({k: r[k] for k in COLUMNS} for r in rows)
    path.with_suffix(".json").write_text(json.dumps(dict(meta, rows=len(rows)), indent=1))
    return path


def load_table(path: str | Path | None = None) -> BenchTable:
    """Read and validate a table (default: the one shipped in the package); one line naming
    the row, the column and the rule on anything malformed."""
    path = Path(path) if path is not None else SHIPPED
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no surrogate table; rule: build one with benchmarks/experiments/surrogate_data.py "
            f"(or pass table=PATH)"
        )
    meta_path = path.with_suffix(".json")
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    missing = [k for k in META_FIELDS if k not in meta]
    if missing:
        raise ValueError(f"{meta_path}: lacks {', '.join(missing)}; rule: a table.json written by write_table")
    with open(path, newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != COLUMNS:
            raise ValueError(f"{path}: columns {reader.fieldnames}; rule: exactly {', '.join(COLUMNS)}")
        rows = list(reader)
    if not rows:
        raise ValueError(f"{path}: no rows; rule: at least one trained network")
    columns = {k: [] for k in COLUMNS}
    for n, row in enumerate(rows, start=2):
        for name, value in _check_row(row, n, path, meta).items():
            columns[name].append(value)
    arrays = {k: np.array(v, dtype=object if k in ("key", "origin") else float) for k, v in columns.items()}
    return BenchTable(arrays, meta, path)


def _check_row(row: dict, line: int, path: Path, meta: dict) -> dict:
    where = f"{path}:{line}"
    out = {"key": row["key"], "origin": row["origin"]}
    try:
        genome = genome_from_key(row["key"])
    except ValueError as err:
        raise ValueError(f"{where}, key: {err}") from None
    if not meta["n_min"] <= genome.n_cells <= meta["n_max"]:
        raise ValueError(f"{where}, key: N={genome.n_cells}; rule: N_min={meta['n_min']} <= N <= N_max={meta['n_max']}")
    for name, low, high in (
        ("stage", 1, 2),
        ("seed", 0, None),
        ("val_accuracy", 0.0, 1.0),
        ("test_accuracy", 0.0, 1.0),
        ("params", 1, None),
        ("macs", 1, None),
        ("seconds", 0.0, None),
    ):
        try:
            value = float(row[name])
        except (TypeError, ValueError):
            raise ValueError(f"{where}, {name}: {row[name]!r}; rule: a number") from None
        if not np.isfinite(value) or value < low or (high is not None and value > high):
            rule = f"between {low} and {high}" if high is not None else f"at least {low}"
            raise ValueError(f"{where}, {name}: {row[name]}; rule: {rule}")
        out[name] = value
    return out


__all__ = ["COLUMNS", "BenchTable", "load_table", "write_table"]
