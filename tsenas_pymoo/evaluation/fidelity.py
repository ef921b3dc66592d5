"""Deprecated since 0.8.0: moved to :mod:`tsenas_pymoo.analysis.fidelity` (re-exported here
for one version)."""

import warnings

from ..analysis.fidelity import *  # noqa: F403
from ..analysis.fidelity import __all__  # noqa: F401

warnings.warn(
    "tsenas_pymoo.evaluation.fidelity is deprecated; import from tsenas_pymoo.analysis.fidelity",
    DeprecationWarning,
    stacklevel=2,
)
