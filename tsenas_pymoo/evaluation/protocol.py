"""Deprecated since 0.8.0: the seam between the search and its evaluator is declared in
:mod:`tsenas_pymoo.interface` (``SearchEvaluator``, ``EvaluatorBase``, formerly
``IgnoresNotes``, and ``search_evaluator``, formerly ``notes_for``). This module re-exports
them for one version."""

from __future__ import annotations

import warnings

from ..interface import EvaluatorBase, SearchEvaluator, search_evaluator

IgnoresNotes = EvaluatorBase
notes_for = search_evaluator

warnings.warn(
    "tsenas_pymoo.evaluation.protocol is deprecated; import SearchEvaluator, EvaluatorBase and search_evaluator "
    "from tsenas_pymoo.interface",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = ["IgnoresNotes", "SearchEvaluator", "notes_for"]
