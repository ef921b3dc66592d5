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


def test_budget_limits_are_integers_from_one_up_and_min_use_reaches_one():
    budget = Budget(max_params=1.0, max_macs=2.5e5, min_use=1)
    assert (budget.max_params, budget.max_macs) == (1, 250_000)
    assert type(budget.max_params) is int and type(budget.max_macs) is int
    assert budget.to_dict() == {"max_params": 1, "max_macs": 250_000, "min_use": 1}
    with pytest.raises(ValueError, match=r"^min_use: rule: a budget \(max_params and/or max_macs\) to use$"):
        Budget(min_use=0.9)


def test_a_cost_exactly_at_the_limit_is_within_it():
    budget = Budget(max_params=1000, max_macs=2000)
    at = {"params": 1000, "macs": 2000}
    assert budget.within_limits(at) and budget.fits(at)
    assert not budget.within_limits({"params": 1001, "macs": 2000})


def test_a_width_rule_needs_a_limit_and_an_ordered_width_range():
    with pytest.raises(ValueError, match=r"budget=Budget\(max_params=None"):
        BudgetWidth(Budget(), (1, 8, 8))
    rule = BudgetWidth(Budget(max_params=50_000), [1, 8, 8], min_width=4, max_width=4)
    assert rule.input_shape == (1, 8, 8) and isinstance(rule.input_shape, tuple)
    assert rule(NetworkGenome.from_cells([1, 5, 1])) == 4
    with pytest.raises(ValueError, match=r"min_width=5, max_width=4; rule: 2 <= min <= max"):
        BudgetWidth(Budget(max_params=50_000), (1, 8, 8), min_width=5, max_width=4)
    assert rule.describe() == "the widest network with params <= 50,000"
    both = BudgetWidth(Budget(max_params=50_000, max_macs=10**6), (1, 8, 8))
    assert both.describe() == "the widest network with params <= 50,000, macs <= 1,000,000"


def test_a_fraction_of_a_channel_rounds_to_at_least_one():
    assert stage_channels(0.25, 0) == 1 and stage_channels(0.5, 0) == 1 and stage_channels(0.5, 1) == 1


def test_width_labels_name_the_rule_or_the_number():
    from tsenas_pymoo.space.width import width_label

    assert width_label(16) == 16
    assert width_label(BudgetWidth(Budget(max_params=50_000), (1, 8, 8))) == "the widest network with params <= 50,000"


def test_skeleton_bounds_and_its_own_errors():
    assert Skeleton(1, ()).n_cells == 1 and Skeleton(4, (4,)).reductions == (4,)
    with pytest.raises(ValueError, match=r"skeleton: N='3'; rule: an integer >= 1"):
        Skeleton("3", ())
    with pytest.raises(ValueError, match=r"skeleton: reductions \(5,\); rule: distinct positions in 1..4"):
        Skeleton(4, (5,))
    with pytest.raises(ValueError, match=r"skeleton: N=0; rule"):
        Skeleton.parse("0:")
    assert Skeleton.parse("8") == Skeleton(8, ())


def test_skeleton_capacity_is_the_input_size_cap():
    Skeleton(8, (1, 2, 3)).check_capacity((1, 8, 8))  # 8x8 allows 3 halvings: exactly at the cap
    with pytest.raises(ValueError, match=r"4 reductions; rule: at most 3 for N=8 on \(1, 8, 8\) inputs"):
        Skeleton(8, (1, 2, 3, 4)).check_capacity((1, 8, 8))


def test_cost_by_parts_resolves_a_width_rule_per_genome():
    rule = BudgetWidth(Budget(max_params=50_000), (1, 8, 8))
    g = NetworkGenome.from_cells([1, 5, 1])
    assert cost_by_parts(g, (1, 8, 8), 10, rule) == cost_by_parts(g, (1, 8, 8), 10, rule(g))
