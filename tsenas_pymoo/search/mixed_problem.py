"""The stage-1 space as pymoo's mixed variables, for ``MixedVariableGA`` and its operators.

``TSENASProblem`` encodes a chain as an integer vector (the form the TS-ENAS operators
and pymoo's integer operators work on). Stock operators treat its cell codes as ordered
numbers, mutate "previous input" genes that change nothing, and end the chain at the
first code 0, so they search a space skewed to long chains. Here the same space is
offered the way pymoo models such spaces:

* ``n_cells``: an ``Integer`` in [N_min, N_max] (the chain length, explicit);
* ``cell1`` ... ``cellN_max``: a ``Choice`` of the Table II codes 1-8 (categories);
* ``free3`` ... ``freeN_max``: an ``Integer`` in [0, j-2] (cells 1 and 2 can only read
  the stem, so they have no free-input gene).

Genes of cells past ``n_cells`` are inactive. A chain with more reduction cells than
N and the input size allow (``max_reductions``) is infeasible: one inequality
constraint (G = surplus reductions, feasible when <= 0); it is not trained and gets the
worst error, so pymoo's constraint handling, not a repair, steers away from it. A budget
(``max_params``, ``max_macs``) adds the base problem's constraints after it; a skeleton
limits each ``cellJ`` to its position's type.
"""

from __future__ import annotations

import inspect
from typing import Any

from pymoo.core.variable import Choice, Integer

from ..space.cells import CELLS, NORMAL_CODES, REDUCTION_CODES
from ..space.genome import NetworkGenome, max_free_input, max_reductions
from .problem import ProblemView, TSENASProblem

#: TSENASProblem's keyword settings, read off its signature (the rest of the keywords are
#: pymoo's, for the view), and ``num_classes``, which it still takes for one version.
PROBLEM_SETTINGS = (*tuple(inspect.signature(TSENASProblem.__init__).parameters)[4:-1], "num_classes")


class TSENASMixedProblem(ProblemView):
    """``TSENASProblem``'s search over chains of Table II cells, as pymoo variables.

    Takes the same arguments as :class:`~tsenas_pymoo.search.problem.TSENASProblem` (an
    evaluator, N_min, N_max, and by keyword its settings: input shape, width, objectives,
    budget, skeleton), and pymoo's problem keywords; evaluation, objectives and the results
    checks are that problem's (``self.base``).
    """

    def __init__(self, evaluator, n_min: int = 4, n_max: int = 10, **kwargs):
        own = {k: kwargs.pop(k) for k in PROBLEM_SETTINGS if k in kwargs}
        self.base = TSENASProblem(evaluator, n_min, n_max, **own)
        variables: dict[str, Any] = {"n_cells": Integer(bounds=(self.base.n_min, self.base.n_max))}
        for j in range(1, self.base.n_max + 1):
            options = tuple(CELLS)
            if self.base.skeleton is not None:
                options = REDUCTION_CODES if self.base.skeleton.is_reduction(j) else NORMAL_CODES
            variables[f"cell{j}"] = Choice(options=tuple(options))
            if max_free_input(j) > 0:
                variables[f"free{j}"] = Integer(bounds=(0, max_free_input(j)))
        kwargs.setdefault("requires_kwargs", True)
        n_constr = 1 + self.base.n_ieq_constr
        super().__init__(vars=variables, n_obj=self.base.n_obj, n_ieq_constr=n_constr, **kwargs)

    def chain(self, x: dict) -> NetworkGenome:
        """The chain a variable dict names (not checked against the reduction cap)."""
        n = int(x["n_cells"])
        codes = tuple(int(x[f"cell{j}"]) for j in range(1, n + 1))
        frees = tuple(int(x.get(f"free{j}", 0)) for j in range(1, n + 1))
        return NetworkGenome(codes, frees)

    def surplus(self, genome: NetworkGenome) -> int:
        """Reduction cells beyond what N and the input size allow (> 0: infeasible)."""
        return genome.n_reductions - max_reductions(genome.n_cells, self.base.input_shape)

    def decode(self, x: dict) -> NetworkGenome:
        """The genome of a feasible variable dict; ``ValueError`` naming the rule otherwise."""
        return self.chain(x).validate(self.base.n_min, self.base.n_max, self.base.input_shape)

    def encode(self, genome: NetworkGenome) -> dict:
        """The variable dict of ``genome`` (inactive genes: cell 1, stem), inverse of decode."""
        genome = genome.validate(self.base.n_min, self.base.n_max, self.base.input_shape)
        x: dict[str, Any] = {"n_cells": genome.n_cells}
        for j in range(1, self.base.n_max + 1):
            x[f"cell{j}"] = genome.codes[j - 1] if j <= genome.n_cells else self.vars[f"cell{j}"].options[0]
            if max_free_input(j) > 0:
                x[f"free{j}"] = genome.free_inputs[j - 1] if j <= genome.n_cells else 0
        return x

    def over_budget(self, genome: NetworkGenome) -> dict | None:
        """The base's answer for a genome over budget, its G led by the (zero) surplus."""
        out = self.base.over_budget(genome)
        return None if out is None else {**out, "G": [0.0] + out["G"]}

    def outputs(self, result, genome: NetworkGenome | None = None) -> dict:
        """The base's outputs of a trained genome, with this problem's G (surplus 0 first)."""
        out = self.base.outputs(result, genome)
        return {**out, "G": [0.0] + list(out.get("G", []))}

    def _evaluate(self, x, out, *args, **kwargs):
        genome = self.chain(x)
        surplus = self.surplus(genome)
        if surplus > 0:  # infeasible: not trained, the worst error and no cost (the budget's G: unknown, 0)
            out.update(
                {
                    "F": [1.0] + [0.0] * (self.base.n_obj - 1),
                    "G": [float(surplus)] + [0.0] * self.base.n_ieq_constr,
                    "accuracy": 0.0,
                    "params": float("nan"),
                    "macs": float("nan"),
                    "flops": float("nan"),
                }
            )
            return
        result = self.base.evaluate_checked(self.decode(x))
        out.update(result)
        out["G"] = [float(surplus)] + list(result.get("G", []))


__all__ = ["TSENASMixedProblem"]
