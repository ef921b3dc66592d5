"""Alg. 4 / Fig. 3c-3d: node mutation, edge mutation and pruning of the fine search.

All three work on the stage-2 genome (:class:`FineGenome`) and keep every output valid.
"""

from __future__ import annotations

import numpy as np
from pymoo.core.mutation import Mutation

from ..space.genome import EMPTY_NODE, STAGE2_CELL_LEN, CellGenome, FineGenome
from ..space.primitives import MUTABLE_OPS


def _replace_node(cell: CellGenome, node_id: int, node) -> CellGenome:
    nodes = list(cell.nodes)
    nodes[node_id - 2] = tuple(int(v) for v in node)
    return CellGenome(cell.code, tuple(nodes))


def mutate_edge(cell: CellGenome, random_state) -> CellGenome:
    """Edge mutation: one edge of a random live node gets another op of Table I (1-13)."""
    node_id = int(random_state.choice(cell.live_nodes()))
    slot = int(random_state.integers(2))
    node = list(cell.node(node_id))
    node[2 + slot] = int(random_state.choice([o for o in MUTABLE_OPS if o != node[2 + slot]]))
    return _replace_node(cell, node_id, node)


def mutate_node(cell: CellGenome, random_state) -> CellGenome:
    """Node mutation: one input of a random live node points to another earlier live node
    (or cell input), so the cell stays acyclic."""
    node_id = int(random_state.choice(cell.live_nodes()))
    slot = int(random_state.integers(2))
    node = list(cell.node(node_id))
    live = set(cell.live_nodes())
    pool = [x for x in range(node_id) if (x < 2 or x in live) and x != node[slot]]
    node[slot] = int(random_state.choice(pool))
    return _replace_node(cell, node_id, node)


def prune_node(cell: CellGenome, random_state) -> CellGenome:
    """Pruning (Fig. 3d): delete one random live node (all zeros in the code); each input
    that pointed to it is re-wired to one of the deleted node's own inputs. A cell with a
    single live node is returned unchanged."""
    live = cell.live_nodes()
    if len(live) < 2:
        return cell
    victim = int(random_state.choice(live))
    sources = cell.node(victim)[:2]
    nodes = list(cell.nodes)
    nodes[victim - 2] = EMPTY_NODE
    for k in live:
        if k == victim:
            continue
        node = list(nodes[k - 2])
        for slot in (0, 1):
            if node[slot] == victim:
                node[slot] = int(sources[int(random_state.integers(2))])
        nodes[k - 2] = tuple(node)
    return CellGenome(cell.code, tuple(nodes))


FINE_KINDS = ("node", "edge")


def mutate_fine(
    genome: FineGenome, random_state, kinds: tuple[str, ...] = FINE_KINDS, n_cells: int | None = None
) -> FineGenome:
    """Alg. 4 line 5: every cell gets node or edge mutation, with equal chance (``kinds``
    limits them, for ablations). ``n_cells``: only that many cells, drawn at random
    (None: every cell, as in the paper)."""
    if not kinds or any(k not in FINE_KINDS for k in kinds):
        raise ValueError(f"kinds={kinds}; rule: a non-empty subset of {FINE_KINDS}")
    if n_cells is not None and n_cells < 1:
        raise ValueError(f"n_cells={n_cells}; rule: at least 1, or None for every cell")

    def pick():
        if len(kinds) == 1:
            return mutate_node if kinds[0] == "node" else mutate_edge
        return mutate_node if random_state.random() < 0.5 else mutate_edge

    edited = (
        range(genome.n_cells)
        if n_cells is None or n_cells >= genome.n_cells
        else set(random_state.choice(genome.n_cells, size=n_cells, replace=False).tolist())
    )
    cells = tuple(pick()(cell, random_state) if i in edited else cell for i, cell in enumerate(genome.cells))
    return FineGenome(genome.free_inputs, cells)


def prune_fine(genome: FineGenome, random_state) -> FineGenome:
    """Alg. 4 line 6: prune one node in one random cell that has more than one node
    (the genome is returned unchanged when no cell has)."""
    candidates = [i for i, cell in enumerate(genome.cells) if len(cell.live_nodes()) > 1]
    if not candidates:
        return genome
    i = int(random_state.choice(candidates))
    cells = list(genome.cells)
    cells[i] = prune_node(cells[i], random_state)
    return FineGenome(genome.free_inputs, tuple(cells))


class _FineMutation(Mutation):
    """Applies a genome -> genome function to stage-2 vectors."""

    transform = staticmethod(lambda genome, random_state: genome)

    def __init__(self, prob: float = 1.0, **kwargs):
        super().__init__(prob=prob, **kwargs)

    def _do(self, problem, X, *args, random_state=None, **kwargs):
        Y = np.array(X, dtype=np.int64, copy=True)
        n_max = X.shape[1] // STAGE2_CELL_LEN
        for i, x in enumerate(X):
            genome = FineGenome.from_vector(x, n_max=n_max)
            Y[i] = type(self).transform(genome, random_state).to_vector(n_max)
        return Y


class NodeEdgeMutation(_FineMutation):
    """Fig. 3c as a pymoo mutation on stage-2 vectors."""

    transform = staticmethod(mutate_fine)


class PruningMutation(_FineMutation):
    """Fig. 3d as a pymoo mutation on stage-2 vectors."""

    transform = staticmethod(prune_fine)
