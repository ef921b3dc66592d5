"""Named proxies: the fitness settings of a search in one word (``--preset NAME``).

A preset fixes what a fitness value means: the data (subset, resolution, validation
pool), the short training (epochs, width, batch, learning rate). Search budgets
(population, generations) stay the user's. Settings given explicitly win over the
preset's; ``config.json`` records the preset's name and every value it set, so a run
resumes as it ran even if a later version changes the preset.

* ``gpu``: the paper's settings (Sec. V-C): the full training set at full resolution,
  a 10 % validation split, 10 epochs per individual; width 16 and lr 0.1 are our
  reading (the paper gives neither).

The CPU preset is chosen by the fidelity study (``benchmarks/experiments/fidelity.py``) and added
here with the study's numbers once it has run.

Kept free of torch (the CLI reads it before loading torch).
"""

from __future__ import annotations

PRESETS: dict[str, dict] = {
    "gpu": {
        "dataset": "fashion-mnist",
        "train_subset": None,
        "resolution": None,
        "val_size": None,
        "epochs": 10,
        "init_channels": 16,
        "batch_size": 128,
        "lr": 0.1,
    },
}


def preset_values(name: str) -> dict:
    """The settings preset ``name`` fixes; one line naming the known presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"preset={name!r}; rule: one of {', '.join(sorted(PRESETS))}")
    return dict(PRESETS[name])


__all__ = ["PRESETS", "preset_values"]
