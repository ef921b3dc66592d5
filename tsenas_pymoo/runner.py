"""Deprecated since 0.8.0: the run lives in :mod:`tsenas_pymoo.run` (``SearchRun`` and
``run_search`` there; the directory's guards in ``run.directory``, the builders in
``run.build``, the ending in ``run.finish``). This module re-exports them for one version."""

from __future__ import annotations

import warnings

from .config import SearchConfig
from .run.build import generations_of
from .run.directory import RESUME_FREE, RUN_DIR_FORMAT, search_settings
from .run.finish import archive_best
from .run.search_run import SearchRun, run_search
from .rundir import atomic_write as _atomic_write

warnings.warn(
    "tsenas_pymoo.runner is deprecated; import SearchRun and run_search from tsenas_pymoo.run",
    DeprecationWarning,
    stacklevel=2,
)

__all__ = [
    "RESUME_FREE",
    "RUN_DIR_FORMAT",
    "SearchConfig",
    "SearchRun",
    "_atomic_write",
    "archive_best",
    "generations_of",
    "run_search",
    "search_settings",
]
