import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from pymoo.core.population import Population

from tsenas_pymoo import GenomeRepair, NetworkGenome, TSENASProblem
from tsenas_pymoo.operators.repair import repair_vector


@settings(max_examples=300, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), real=st.booleans())
def test_any_in_bounds_vector_repairs_to_a_valid_genome(seed, real):
    problem = TSENASProblem(lambda g: {"accuracy": 0.5}, n_min=3, n_max=8, input_shape=(1, 8, 8))
    rng = np.random.default_rng(seed)
    x = rng.uniform(problem.xl, problem.xu + 0.999)
    if not real:
        x = np.floor(x)
    X = GenomeRepair().do(problem, Population.new("X", x[None, :])).get("X")
    problem.decode(X[0])


def test_repair_is_identity_on_valid_vectors():
    g = NetworkGenome.from_cells([3, 5, 1, 6, 2], free_inputs=[0, 0, 1, 0, 3])
    assert repair_vector(g.to_vector(6), 3, 6, (1, 8, 8)) == g


def test_repair_rules():
    # cell 2 code 0 inside N_min -> cell 1; stop at the first absent after N_min;
    # prev -> j-1; free clipped; surplus reductions from the end -> code - 4
    x = np.array([3, 9, 5, 0, 0, 0, 9, 0, 6, 0, 0, 7, 0, 0, 0, 1, 3, 8], dtype=float)
    g = repair_vector(x, n_min=2, n_max=6, input_shape=(1, 8, 8))
    assert g.codes == (5, 1, 6, 3)  # reductions 5,6,7 > ceil(4/2)=2 -> the last, 7, becomes 3
    assert g.free_inputs == (0, 0, 1, 0)


def test_negative_entries_clip_to_zero():
    """Below-range codes are absent cells (cell 1 within N_min), free inputs the stem."""
    g = repair_vector(np.full(24, -5.0), n_min=3, n_max=8)
    assert (g.codes, g.free_inputs) == ((1, 1, 1), (0, 0, 0))
    g = repair_vector(np.array([-4, 0, 3, -4, 0, 3, -4, 0, 3] + [0] * 15, dtype=float), n_min=1, n_max=8)
    assert (g.codes, g.free_inputs) == ((3, 3, 3), (0, 0, 0))
