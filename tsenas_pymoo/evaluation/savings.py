"""Deprecated since 0.8.0: moved to :mod:`tsenas_pymoo.analysis.savings` (re-exported here
for one version)."""

import warnings

from ..analysis.savings import *  # noqa: F403
from ..analysis.savings import __all__  # noqa: F401

warnings.warn(
    "tsenas_pymoo.evaluation.savings is deprecated; import from tsenas_pymoo.analysis.savings",
    DeprecationWarning,
    stacklevel=2,
)
