"""A ``TorchEvaluator`` pickled by an earlier version (inside a checkpoint or a Dask task)
loads as it ran: its state in today's layout."""

from __future__ import annotations

from typing import Any

from .inheritance import Inheritance
from .lineage import Lineage
from .recipe import TrainRecipe

RECIPE_FIELDS = ("epochs", "batch_size", "lr", "device", "amp", "channels_last", "augment")


def upgrade_evaluator_state(state: dict[str, Any]) -> dict[str, Any]:
    """``state`` of an older ``TorchEvaluator``, upgraded: the lineage's own class (0.4.0),
    ``score_test`` (0.5.0), the recipe (0.7.1), the inheritance service (0.8.1)."""
    state = dict(state)
    if "inheriting" not in state:
        if "lineage" not in state:  # the notes were on the evaluator itself
            state["lineage"] = Lineage(state.get("store"))
            state["lineage"].parents = state.pop("parents", {})
            state["lineage"].repeats = state.pop("repeats", {})
        mode = state.pop("inheritance", "lineage")
        inheriting = Inheritance(mode, state.pop("store", None), state.pop("warm_start", None))
        inheriting.lineage = state.pop("lineage")
        state["inheriting"] = inheriting
    state.setdefault("score_test", False)
    if "recipe" not in state:  # the recipe's fields were attributes
        state["recipe"] = TrainRecipe(**{k: state.pop(k) for k in RECIPE_FIELDS if k in state})
    return state


__all__ = ["upgrade_evaluator_state"]
