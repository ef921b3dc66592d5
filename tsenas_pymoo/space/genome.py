"""The two-stage encoding of Sec. III-B.

Stage 1 (:class:`NetworkGenome`, the rough search): a chain of N cells, cell ``j``
(1-based) encoded as ``(free input, previous input, cell code)``. The previous input is
always cell ``j-1``; the free input is any earlier output in ``[0, j-2]`` (0 = the stem;
cell 1 takes the stem twice). The cell code is Table II's 1-8.

Stage 2 (:class:`FineGenome`, the fine search): the same chain with every cell's inside
spelled out (:class:`CellGenome`) as up to ``MAX_NODES`` 4-tuples ``(x_i, x_j, o_i, o_j)``.
A pruned node is ``(0, 0, 0, 0)``.

Both have a fixed-length integer vector form (absent cells are all zeros) so pymoo's stock
algorithms can search them, and both raise ``ValueError`` naming the position and the rule
when malformed.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from .cells import CELLS, MAX_NODES, is_reduction
from .primitives import PRIMITIVES

Node = tuple[int, int, int, int]
EMPTY_NODE: Node = (0, 0, 0, 0)
#: Vector slots per cell: stage 1 (free, prev, code); stage 2 adds 4 per node.
STAGE1_CELL_LEN = 3
STAGE2_CELL_LEN = 3 + 4 * MAX_NODES


def max_free_input(cell_index: int) -> int:
    """Largest valid free input of cell ``cell_index`` (1-based): j-2, or the stem (0)."""
    return max(cell_index - 2, 0)


def max_reductions(n_cells: int, input_shape: Sequence[int] | None = None) -> int:
    """Most reduction cells a chain of ``n_cells`` may hold.

    Alg. 3 draws from all 8 cells only while fewer than N/2 reductions were drawn, which
    allows at most ceil(N/2). The input size caps it too: the feature map never shrinks
    below 1x1, so an HxW input allows floor(log2(min(H, W))) halvings (8x8 -> 3).
    """
    cap = math.ceil(n_cells / 2)
    if input_shape is not None:
        cap = min(cap, input_reduction_cap(input_shape))
    return cap


def input_reduction_cap(input_shape: Sequence[int]) -> int:
    """floor(log2(min(H, W))) for a (C, H, W) input shape."""
    height, width = input_shape[-2:]
    return int(math.floor(math.log2(min(height, width))))


def _as_int_vector(vector, expected_len: int | None, what: str) -> np.ndarray:
    arr = np.asarray(vector)
    if arr.ndim != 1:
        raise ValueError(f"{what}: expected a 1-d vector, got shape {arr.shape}")
    if expected_len is not None and len(arr) != expected_len:
        raise ValueError(f"{what}: length {len(arr)} does not match the expected {expected_len}")
    if not np.all(np.isfinite(arr.astype(float))) or not np.all(np.mod(arr, 1) == 0):
        bad = int(np.flatnonzero(~np.isfinite(arr.astype(float)) | (np.mod(arr, 1) != 0))[0])
        raise ValueError(f"{what}: position {bad} holds {arr[bad].item()!r}; rule: every entry is an integer")
    return arr.astype(np.int64)


def _check_chain(codes: Sequence[int], free_inputs: Sequence[int], n_min, n_max, input_shape):
    """The stage-1 rules shared by both genome forms."""
    n = len(codes)
    if n == 0:
        raise ValueError("genome has no cells; rule: N >= 1")
    if len(free_inputs) != n:
        raise ValueError(f"genome has {n} cell codes but {len(free_inputs)} free inputs; rule: one each")
    if n_min is not None and n < n_min:
        raise ValueError(f"genome has N={n} cells; rule: N >= N_min={n_min}")
    if n_max is not None and n > n_max:
        raise ValueError(f"genome has N={n} cells; rule: N <= N_max={n_max}")
    for j, (code, free) in enumerate(zip(codes, free_inputs), start=1):
        if code not in CELLS:
            raise ValueError(f"cell {j}: cell code {code} is out of range; rule: codes are 1-8 (Table II)")
        if not 0 <= free <= max_free_input(j):
            raise ValueError(
                f"cell {j}: free input {free} is invalid; rule: the free input of cell j is an "
                f"earlier output in [0, j-2] = [0, {max_free_input(j)}] (0 = stem), never forward"
            )
    n_red = sum(is_reduction(c) for c in codes)
    cap = max_reductions(n, input_shape)
    if n_red > cap:
        why = f"input {tuple(input_shape)} " if input_shape is not None and cap < math.ceil(n / 2) else ""
        raise ValueError(
            f"genome has {n_red} reduction cells; rule: at most {cap} for N={n} {why}"
            f"(Alg. 3: ceil(N/2); the input size: floor(log2(min(H, W))))"
        )


@functools.cache
def _published_cell(cls, code: int) -> CellGenome:
    """Each Table II cell built once (genomes are immutable): every stage-1 genome's
    ``expand`` asks for them."""
    return cls(code, CELLS[code].nodes)


@dataclass(frozen=True)
class CellGenome:
    """Stage-2 form of one cell: its Table II origin ``code`` and ``MAX_NODES`` nodes.

    Node ``k`` (``k = 2 ... MAX_NODES + 1``) is ``(x_i, x_j, o_i, o_j)``: the sum of op
    ``o_i`` applied to node ``x_i`` and op ``o_j`` applied to node ``x_j``, with inputs in
    ``[0, k-1]`` (0 = free input, 1 = previous cell). The output node is the sum of the
    live nodes that feed no other live node (Sec. III-A).
    """

    code: int
    nodes: tuple[Node, ...]

    def __post_init__(self):
        nodes = tuple(tuple(int(v) for v in node) for node in self.nodes)
        if len(nodes) > MAX_NODES:
            raise ValueError(f"cell has {len(nodes)} nodes; rule: at most {MAX_NODES} intermediate nodes")
        object.__setattr__(self, "nodes", nodes + (EMPTY_NODE,) * (MAX_NODES - len(nodes)))

    @classmethod
    def published(cls, code: int) -> CellGenome:
        """The cell exactly as Table II publishes it."""
        if code not in CELLS:
            raise ValueError(f"cell code {code} is out of range; rule: codes are 1-8 (Table II)")
        return _published_cell(cls, int(code))

    @property
    def reduction(self) -> bool:
        return is_reduction(self.code)

    @property
    def is_published(self) -> bool:
        return self.code in CELLS and self.nodes == _PUBLISHED_NODES[self.code]

    def live_nodes(self) -> list[int]:
        """Ids (2, 3, ...) of the nodes that are not pruned."""
        return [k + 2 for k, node in enumerate(self.nodes) if node != EMPTY_NODE]

    def node(self, node_id: int) -> Node:
        return self.nodes[node_id - 2]

    def output_nodes(self) -> list[int]:
        """Live nodes that feed no other live node: summed into the output node."""
        live = self.live_nodes()
        consumed = {x for k in live for x in self.node(k)[:2]}
        return [k for k in live if k not in consumed]

    def validate(self, where: str = "cell") -> CellGenome:
        if self.code not in CELLS:
            raise ValueError(f"{where}: cell code {self.code} is out of range; rule: codes are 1-8 (Table II)")
        live = set(self.live_nodes())
        if not live:
            raise ValueError(f"{where}: every node is pruned; rule: a cell keeps at least one node")
        for k in sorted(live):
            x_i, x_j, o_i, o_j = self.node(k)
            for slot, (x, o) in enumerate(((x_i, o_i), (x_j, o_j))):
                if x < 0 or x >= k:
                    raise ValueError(
                        f"{where}, node {k}, input {slot}: points to node {x}; rule: inputs of node k "
                        f"are earlier nodes in [0, k-1] = [0, {k - 1}] (else the cell has a cycle)"
                    )
                if x >= 2 and x not in live:
                    raise ValueError(
                        f"{where}, node {k}, input {slot}: points to pruned node {x}; rule: inputs are live nodes"
                    )
                if o not in PRIMITIVES:
                    raise ValueError(
                        f"{where}, node {k}, input {slot}: operation {o} is out of range; "
                        f"rule: Table I codes 1-13 (14 = CARS-H's dil_conv_5x5)"
                    )
        return self

    def to_vector(self) -> list[int]:
        return [v for node in self.nodes for v in node]

    def key(self) -> str:
        if self.is_published:
            return str(self.code)
        body = ";".join(".".join(map(str, n)) for n in self.nodes if n != EMPTY_NODE)
        return f"{self.code}[{body}]"


_PUBLISHED_NODES = {code: CellGenome.published(code).nodes for code in CELLS}


@dataclass(frozen=True)
class NetworkGenome:
    """Stage-1 genome (Sec. III-B, first layer): N cells, each a code and a free input."""

    codes: tuple[int, ...]
    free_inputs: tuple[int, ...]

    def __post_init__(self):
        object.__setattr__(self, "codes", tuple(int(c) for c in self.codes))
        object.__setattr__(self, "free_inputs", tuple(int(a) for a in self.free_inputs))

    @classmethod
    def from_cells(cls, codes: Iterable[int], free_inputs: Iterable[int] | None = None) -> NetworkGenome:
        """A chain from cell codes; free inputs default to two cells back (or the stem)."""
        codes = tuple(codes)
        if free_inputs is None:
            free_inputs = [max_free_input(j) for j in range(1, len(codes) + 1)]
        return cls(codes, tuple(free_inputs)).validate()

    @property
    def n_cells(self) -> int:
        return len(self.codes)

    @property
    def n_reductions(self) -> int:
        return sum(is_reduction(c) for c in self.codes)

    def validate(
        self, n_min: int | None = None, n_max: int | None = None, input_shape: Sequence[int] | None = None
    ) -> NetworkGenome:
        _check_chain(self.codes, self.free_inputs, n_min, n_max, input_shape)
        return self

    def to_vector(self, n_max: int | None = None) -> np.ndarray:
        """``3 * n_max`` integers: (free, prev, code) per cell, absent cells all zeros."""
        rows = [[free, j, code] for j, (code, free) in enumerate(zip(self.codes, self.free_inputs))]
        return _write_chain(rows, self.n_cells if n_max is None else n_max, STAGE1_CELL_LEN)

    @classmethod
    def from_vector(
        cls, vector, n_min: int | None = None, n_max: int | None = None, input_shape: Sequence[int] | None = None
    ) -> NetworkGenome:
        _, codes, frees = _read_chain(vector, n_max, STAGE1_CELL_LEN, "stage-1 vector")
        return cls(tuple(codes), tuple(frees)).validate(n_min, n_max, input_shape)

    def expand(self) -> FineGenome:
        """Stage-2 form: every cell copies its published structure (Alg. 4 line 1)."""
        return self._expanded

    def key(self) -> str:
        """Canonical string: equal for equal networks (also equal to ``expand().key()``)."""
        return self._key

    # kept on the (frozen, immutable) genome: a search keys and expands the same decoded
    # genomes again and again (duplicate elimination compares every offspring with the
    # whole population each generation). Not fields: equality, hashing and repr are unchanged.
    @functools.cached_property
    def _expanded(self) -> FineGenome:
        return FineGenome(self.free_inputs, tuple(map(CellGenome.published, self.codes)))

    @functools.cached_property
    def _key(self) -> str:
        return self.expand().key()

    def __str__(self) -> str:
        return f"NetworkGenome({self.key()})"


def _read_chain(vector, n_max: int | None, cell_len: int, what: str) -> tuple[np.ndarray, list[int], list[int]]:
    """Split a vector into cell rows and read (free, prev, code) until the first absent
    cell; the rest must be zeros. Returns (rows, codes, free inputs)."""
    arr = _as_int_vector(vector, None if n_max is None else cell_len * n_max, what)
    if len(arr) % cell_len:
        raise ValueError(f"{what}: length {len(arr)}; rule: a multiple of {cell_len} (free, prev, code, ...)")
    cells = arr.reshape(-1, cell_len)
    codes, frees = [], []
    for j, row in enumerate(cells, start=1):
        pos = cell_len * (j - 1)
        free, prev, code = (int(v) for v in row[:3])
        if code == 0:
            if np.any(cells[j - 1 :] != 0):
                bad = j + int(np.flatnonzero(np.any(cells[j - 1 :] != 0, axis=1))[0])
                raise ValueError(
                    f"{what}: cell {bad} (positions {cell_len * (bad - 1)}-{cell_len * bad - 1}) "
                    f"follows absent cell {j}; rule: absent cells are all zeros and come last"
                )
            break
        if prev != j - 1:
            raise ValueError(
                f"{what}: cell {j} (position {pos + 1}) has previous input {prev}; "
                f"rule: the previous input of cell j is j-1 = {j - 1}"
            )
        codes.append(code)
        frees.append(free)
    return cells, codes, frees


def _write_chain(rows: list[list[int]], n_max: int, cell_len: int) -> np.ndarray:
    """``cell_len * n_max`` integers: the cells' rows, absent cells all zeros."""
    if len(rows) > n_max:
        raise ValueError(f"genome has N={len(rows)} cells; rule: N <= N_max={n_max}")
    vec = np.zeros(cell_len * n_max, dtype=np.int64)
    for j, row in enumerate(rows):
        vec[cell_len * j : cell_len * (j + 1)] = row
    return vec


@dataclass(frozen=True)
class FineGenome:
    """Stage-2 genome (Sec. III-B, second layer): the chain plus every cell's inside."""

    free_inputs: tuple[int, ...]
    cells: tuple[CellGenome, ...]

    def __post_init__(self):
        object.__setattr__(self, "free_inputs", tuple(int(a) for a in self.free_inputs))
        object.__setattr__(self, "cells", tuple(self.cells))

    @property
    def codes(self) -> tuple[int, ...]:
        return tuple(c.code for c in self.cells)

    @property
    def n_cells(self) -> int:
        return len(self.cells)

    @property
    def n_reductions(self) -> int:
        return sum(c.reduction for c in self.cells)

    def expand(self) -> FineGenome:
        return self

    def validate(
        self, n_min: int | None = None, n_max: int | None = None, input_shape: Sequence[int] | None = None
    ) -> FineGenome:
        _check_chain(self.codes, self.free_inputs, n_min, n_max, input_shape)
        for j, cell in enumerate(self.cells, start=1):
            cell.validate(where=f"cell {j}")
        return self

    def to_vector(self, n_max: int | None = None) -> np.ndarray:
        """``23 * n_max`` integers: (free, prev, code, 5 x (x_i, x_j, o_i, o_j)) per cell."""
        rows = [
            [free, j, cell.code] + cell.to_vector() for j, (cell, free) in enumerate(zip(self.cells, self.free_inputs))
        ]
        return _write_chain(rows, self.n_cells if n_max is None else n_max, STAGE2_CELL_LEN)

    @classmethod
    def from_vector(
        cls, vector, n_min: int | None = None, n_max: int | None = None, input_shape: Sequence[int] | None = None
    ) -> FineGenome:
        rows, codes, frees = _read_chain(vector, n_max, STAGE2_CELL_LEN, "stage-2 vector")
        cells = tuple(
            CellGenome(code, tuple(map(tuple, rows[j, 3:].reshape(MAX_NODES, 4)))) for j, code in enumerate(codes)
        )
        return cls(tuple(frees), cells).validate(n_min, n_max, input_shape)

    def key(self) -> str:
        return self._key

    @functools.cached_property
    def _key(self) -> str:  # kept on the genome, as NetworkGenome's
        return ",".join(f"{free}:{cell.key()}" for free, cell in zip(self.free_inputs, self.cells))

    def __str__(self) -> str:
        return f"FineGenome({self.key()})"


AnyGenome = NetworkGenome | FineGenome


def _place_nodes(listed: list[Node], where: str) -> tuple[Node, ...]:
    """Put the live nodes a key lists (pruned ones are left out of it) back at node ids
    their references agree with: every input of a node is an earlier id, and every id a
    node reads is live."""
    from itertools import combinations

    for ids in combinations(range(2, MAX_NODES + 2), len(listed)):
        live = set(ids)
        if all(max(n[:2]) < k and all(x < 2 or x in live for x in n[:2]) for k, n in zip(ids, listed)):
            nodes = [EMPTY_NODE] * MAX_NODES
            for k, node in zip(ids, listed):
                nodes[k - 2] = node
            return tuple(nodes)
    raise ValueError(f"{where}: its nodes cannot be placed; rule: each node reads earlier live nodes or inputs 0-1")


def readable(genome: AnyGenome) -> str:
    """The network by its cells' Table II names and inputs (the free input, then the
    previous cell), a ``*`` on each cell stage 2 edited: ``DartsNC(0,0) DartsRC*(0,1)``.
    ``tsenas describe`` shows the edits node by node."""
    fine = genome.expand()
    return " ".join(
        f"{CELLS[cell.code].abbreviation}{'' if cell.is_published else '*'}({free},{j})"
        for j, (cell, free) in enumerate(zip(fine.cells, fine.free_inputs))
    )


def genome_from_key(key: str) -> AnyGenome:
    """The genome a :meth:`key` names (the inverse of ``key``, which archives and results
    files record): a :class:`NetworkGenome` when every cell is published, else a
    :class:`FineGenome`. One line naming the cell and the rule on a malformed key."""
    frees, cells = [], []
    for j, part in enumerate(str(key).split(","), start=1):
        where = f"genome key {key!r}, cell {j}"
        try:
            free, body = part.split(":", 1)
            code, _, inside = body.partition("[")
            frees.append(int(free))
            if not inside:
                cells.append(CellGenome.published(int(code)))
                continue
            listed = [tuple(int(v) for v in node.split(".")) for node in inside.rstrip("]").split(";")]
        except ValueError as err:
            raise ValueError(f"{where}: {part!r} ({err}); rule: FREE:CODE or FREE:CODE[a.b.c.d;...]") from None
        if any(len(node) != 4 for node in listed):
            raise ValueError(f"{where}: a node has other than 4 numbers; rule: nodes are x_i.x_j.o_i.o_j")
        cells.append(CellGenome(int(code), _place_nodes(listed, where)))
    fine = FineGenome(tuple(frees), tuple(cells)).validate()
    if all(cell.is_published for cell in cells):
        return NetworkGenome(fine.codes, fine.free_inputs).validate()
    return fine
