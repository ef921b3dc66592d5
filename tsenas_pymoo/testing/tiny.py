"""The tiny CLI search that end-to-end tests and the reliability and performance
benchmarks run: digits, 400 images, 4 networks a generation, width 4, one epoch each
(a few seconds a generation on one thread). Each caller states only what it changes."""

from __future__ import annotations

#: ``tsenas search`` options by their dest name; the fault harness's search as it is.
TINY = {
    "dataset": "digits",
    "train_subset": 400,
    "pop_size": 4,
    "fine_size": 2,
    "stage1_gens": 3,
    "stage2_gens": 2,
    "epochs": 1,
    "init_channels": 4,
    "supernet_epochs": 1,
    "final_epochs": 1,
    "n_max": 4,
    "seed": 3,
    "batch_size": 64,
    "threads": 1,
}


def search_settings(**changes) -> dict:
    """TINY with ``changes`` as ``SearchConfig`` keywords; a setting changed to None is left
    to its default."""
    return {name: value for name, value in {**TINY, **changes}.items() if value is not None}


def search_args(quiet: bool = True, **changes) -> list[str]:
    """The same as ``tsenas search`` options; ``quiet``: add ``-q``."""
    settings = search_settings(**changes)
    args = [part for name, value in settings.items() for part in (f"--{name.replace('_', '-')}", str(value))]
    return [*args, "-q"] if quiet else args
