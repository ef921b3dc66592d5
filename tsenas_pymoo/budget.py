"""Deprecated since 0.8.0: moved to :mod:`tsenas_pymoo.search.budget`. This path is that
module for one version (so checkpoints written before 0.8.0 load through it)."""

import sys
import warnings

from .search import budget as _moved

warnings.warn(
    "tsenas_pymoo.budget is deprecated; import from tsenas_pymoo.search.budget",
    DeprecationWarning,
    stacklevel=2,
)
sys.modules[__name__] = _moved
