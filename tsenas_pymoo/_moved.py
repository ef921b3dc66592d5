"""Old module paths kept for one version after a move (docs/changes.md): each old module
is the moved one, with a deprecation warning when first imported."""

import importlib
import sys
import warnings


def alias(old: str, new: str) -> None:
    """Make module ``old`` the module ``new`` (its names, its classes for old pickles)."""
    warnings.warn(f"{old} is deprecated; import from {new}", DeprecationWarning, stacklevel=3)
    sys.modules[old] = importlib.import_module(new)
