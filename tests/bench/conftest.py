"""A synthetic surrogate table: networks of the space with a known accuracy rule."""

import numpy as np
import pytest

from tsenas_pymoo.bench.table import write_table
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.genome import CellGenome, FineGenome

SHAPE = (1, 16, 16)


def known_accuracy(genome) -> float:
    """The rule the table follows: reductions help, cell 3 helps, edited cells cost a bit."""
    fine = genome.expand()
    return (
        0.70
        + 0.03 * fine.n_reductions
        + 0.01 * fine.codes.count(3)
        - 0.01 * sum(not c.is_published for c in fine.cells)
    )


def edited(genome, rng):
    """A stage-2 edit: one node of one cell gets another op."""
    fine = genome.expand()
    j = int(rng.integers(fine.n_cells))
    cell = fine.cells[j]
    k = cell.live_nodes()[0]
    node = list(cell.node(k))
    node[2] = 1 + (node[2] % 12)
    nodes = list(cell.nodes)
    nodes[k - 2] = tuple(node)
    cells = list(fine.cells)
    cells[j] = CellGenome(cell.code, tuple(nodes))
    return FineGenome(fine.free_inputs, tuple(cells)).validate()


def make_rows(n=160, seed=0, repeated=20):
    rng = np.random.default_rng(seed)
    genomes = {}
    while len(genomes) < n:
        g = sample_genome(rng, 3, 6, SHAPE)
        if len(genomes) % 4 == 3:
            g = edited(g, rng)
        genomes.setdefault(g.key(), g)
    rows = []
    for i, (key, g) in enumerate(genomes.items()):
        for s in range(3 if i < repeated else 1):
            val = known_accuracy(g) + rng.normal(0, 0.005)
            rows.append(
                {
                    "key": key,
                    "stage": 1 if all(c.is_published for c in g.expand().cells) else 2,
                    "seed": s,
                    "val_accuracy": round(val, 4),
                    "test_accuracy": round(val - 0.01, 4),
                    "params": 1000 + i,
                    "macs": 100000 + i,
                    "seconds": 5.0,
                    "origin": "alg3",
                }
            )
    return rows


META = {
    "settings": {"init_channels": 4, "epochs": 1},
    "input_shape": list(SHAPE),
    "num_classes": 10,
    "n_min": 3,
    "n_max": 6,
    "version": "test",
}


@pytest.fixture(scope="session")
def table_path(tmp_path_factory):
    return write_table(make_rows(), META, tmp_path_factory.mktemp("bench") / "table.csv")
