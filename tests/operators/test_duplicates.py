import numpy as np
from pymoo.core.population import Population

from tsenas_pymoo import GenomeDuplicateElimination, NetworkGenome


def test_duplicates_compare_decoded_genomes(problem):
    g = NetworkGenome.from_cells([3, 5, 1])
    other = NetworkGenome.from_cells([3, 5, 2])
    raw = g.to_vector(8).astype(float)
    pop = Population.new("X", np.array([g.to_vector(8), raw + 0.0, other.to_vector(8)]))
    kept = GenomeDuplicateElimination(problem.decode).do(pop)
    assert len(kept) == 2
    against = GenomeDuplicateElimination(problem.decode).do(Population.new("X", np.array([other.to_vector(8)])), pop)
    assert len(against) == 0


def test_stage2_expansion_equals_its_stage1_genome(problem):
    g = NetworkGenome.from_cells([3, 5, 1])
    elim = GenomeDuplicateElimination(problem.decode)
    a = Population.new("X", np.array([g.to_vector(8)]))
    b = Population.new("X", np.array([g.expand().to_vector(8)]))
    assert elim.key(a[0]) == elim.key(b[0])
