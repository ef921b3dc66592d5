"""Deprecated since 0.8.0: moved to :mod:`tsenas_pymoo.analysis.comparison` (re-exported here
for one version)."""

import warnings

from .analysis.comparison import *  # noqa: F403
from .analysis.comparison import __all__  # noqa: F401

warnings.warn(
    "tsenas_pymoo.comparison is deprecated; import from tsenas_pymoo.analysis.comparison",
    DeprecationWarning,
    stacklevel=2,
)
