"""Deprecated: the export code is in :mod:`tsenas_pymoo.export` since 0.5.0."""

import warnings

from .export import FORMATS, SUFFIX, check_export, export_model, load_exported

warnings.warn("tsenas_pymoo.formats moved to tsenas_pymoo.export", DeprecationWarning, stacklevel=2)

__all__ = ["FORMATS", "SUFFIX", "check_export", "export_model", "load_exported"]
