"""Deprecated since 0.8.0: moved to :mod:`tsenas_pymoo.search.problem` (this path is
that module for one version)."""

from ._moved import alias

alias(__name__, "tsenas_pymoo.search.problem")
