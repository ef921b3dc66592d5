"""Width rules: fractional widths by stage, iso-budget widths within 10 % of the budget,
and the fixed macro skeleton."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tsenas_pymoo.baselines import DARTS_STACK
from tsenas_pymoo.operators.sampling import sample_genome
from tsenas_pymoo.space.cost import cost_by_parts
from tsenas_pymoo.space.genome import NetworkGenome
from tsenas_pymoo.space.network import build_network, count_params, network_cost
from tsenas_pymoo.space.width import WIDTH_STEP, Budget, BudgetWidth, Skeleton, stage_channels

SHAPE = (1, 28, 28)
BUDGET = Budget(300_000, 35_000_000)


def test_integer_widths_double_at_each_reduction_as_before():
    genome = NetworkGenome.from_cells((1, 5, 1, 6, 2))
    model = build_network(genome, SHAPE, 10, 8)
    assert [cell.channels for cell in model.cells] == [8, 16, 16, 32, 32]
    assert stage_channels(20.625, 0) == 21 and stage_channels(20.625, 1) == 41 and stage_channels(20.625, 2) == 83


def test_a_width_rule_builds_the_network_it_counts():
    rule = BudgetWidth(BUDGET, SHAPE)
    darts = NetworkGenome.from_cells(DARTS_STACK)
    width = rule(darts)
    assert width == 20.625  # width 21 has 35.24 M MACs, over the 35 M budget
    model = build_network(darts, SHAPE, 10, rule)
    assert (
        count_params(model)
        == cost_by_parts(darts, SHAPE, 10, width)["params"]
        == network_cost(darts, SHAPE, 10, rule)["params"]
    )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_the_width_rule_hits_the_budget_within_ten_percent_across_n_and_reductions(seed):
    """Any Alg. 3 network of N 4-10 with 0-4 reductions: within the budget, and the
    binding limit used to at least 90 %; one width step more breaks the budget."""
    rule = BudgetWidth(BUDGET, SHAPE)
    genome = sample_genome(np.random.default_rng(seed), 4, 10, SHAPE)
    width = rule(genome)
    cost = cost_by_parts(genome, SHAPE, 10, width)
    used = max(cost["params"] / BUDGET.max_params, cost["macs"] / BUDGET.max_macs)
    assert BUDGET.fits(cost) and used >= 0.9, (genome, width, cost)
    assert not BUDGET.fits(cost_by_parts(genome, SHAPE, 10, width + WIDTH_STEP))


def test_a_genome_over_budget_at_the_narrowest_width_gets_the_narrowest():
    rule = BudgetWidth(Budget(max_params=1_000), SHAPE)
    genome = NetworkGenome.from_cells(DARTS_STACK)
    assert rule(genome) == 2.0 and not rule.budget.fits(cost_by_parts(genome, SHAPE, 10, 2.0))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [({"max_params": 0}, "max_params"), ({"max_macs": float("nan")}, "max_macs"), ({"max_params": "3"}, "max_params")],
)
def test_bad_budgets_name_the_field(kwargs, field):
    with pytest.raises(ValueError, match=rf"^{field}=.*rule: a positive number"):
        Budget(**kwargs)


def test_budget_violations_are_pymoo_g():
    assert Budget(100, 1000).violations({"params": 150, "macs": 500}) == [0.5, -0.5]
    assert Budget(max_macs=1000).names == ("macs",) and not Budget()


def test_skeleton_parses_and_refuses_bad_positions():
    skeleton = Skeleton.parse("8:6,3")
    assert skeleton.reductions == (3, 6) and str(skeleton) == "8:3,6" and Skeleton.parse("4:").reductions == ()
    for bad in ("8:9", "x:1", "8:3,3"):
        with pytest.raises(ValueError, match="skeleton"):
            Skeleton.parse(bad)
    with pytest.raises(ValueError, match="rule: at most 3"):
        Skeleton.parse("6:1,2,3,4").check_capacity(SHAPE)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_alg3_inside_a_skeleton_puts_each_type_at_its_position(seed):
    skeleton = Skeleton.parse("8:3,6")
    genome = sample_genome(np.random.default_rng(seed), 8, 8, SHAPE, skeleton)
    assert genome.n_cells == 8
    assert [j for j, c in enumerate(genome.codes, start=1) if c >= 5] == [3, 6]
    genome.validate(8, 8, SHAPE)


def test_min_use_adds_a_lower_constraint_per_limit_and_the_width_rule_ignores_it():
    budget = Budget(100, 1000, min_use=0.9)
    assert budget.violations({"params": 95, "macs": 500}) == pytest.approx([-0.05, -0.5, -0.05, 0.4])
    assert budget.n_constraints == 4 and not budget.fits({"params": 95, "macs": 500})
    assert budget.within_limits({"params": 95, "macs": 500})
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError, match=r"^min_use=.*rule: a share in"):
            Budget(100, min_use=bad)
    rule = BudgetWidth(Budget(300_000, 35_000_000, min_use=0.9), SHAPE)
    assert rule(NetworkGenome.from_cells(DARTS_STACK)) == BudgetWidth(BUDGET, SHAPE)(
        NetworkGenome.from_cells(DARTS_STACK)
    )
