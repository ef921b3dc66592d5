"""Named proxies: the fitness settings of a search in one word (``--preset NAME``).

A preset fixes what a fitness value means: the data (subset, resolution, validation
pool), the short training (epochs, width, batch, learning rate). Search budgets
(population, generations) stay the user's. Settings given explicitly win over the
preset's; ``config.json`` records the preset's name and every value it set, so a run
resumes as it ran even if a later version changes the preset.

* ``gpu``: the paper's settings (Sec. V-C): the full training set at full resolution,
  a 10 % validation split, 10 epochs per individual; width 16 and lr 0.1 are our
  reading (the paper gives neither).

* ``cpu``: chosen by the fidelity study (``benchmarks/experiments/fidelity.py``,
  ``benchmarks/results/fidelity.json``, ``choice``) by its rule fixed before the data: no
  proxy met the goal (ICC(1) >= 0.8, Kendall tau >= 0.6 against 10-epoch training on
  10,000 images, <= 15 s a network on one thread), so the highest tau within 15 s.
  2,400 training images at 28x28, one epoch, scored on a 1,000-image validation pool:
  tau 0.47 (goal 0.6; a noise-free proxy would reach 0.63 against this target), ICC(1)
  0.94, 9.2 CPU s a network.
* ``cpu-quick``: the issue's own fallback for a missed goal, the best tau per second
  (``choice.best_tau_per_second``): 1,200 images at 14x14, one epoch, scored on 133
  held-out images (the study's "split", N/9; a pool of 133 since 0.8.2, before which the
  preset trained on 1,080 and scored on 120): tau 0.45, ICC(1) 0.91, 1.7 CPU s. The study cannot tell its tau
  from ``cpu``'s (paired bootstrap, ``choice.ties``); it is 5x cheaper, but searches at
  14 px (a network searched at 14 px and trained at 28 px can be the wrong shape) and
  scores on 133 images. For laptops and large budgets; the benchmarks run ``cpu``.

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
    "cpu": {
        "dataset": "fashion-mnist",
        "train_subset": 2400,
        "resolution": None,
        "val_size": 1000,
        "epochs": 1,
        "init_channels": 8,
        "batch_size": 128,
        "lr": 0.1,
    },
    "cpu-quick": {
        "dataset": "fashion-mnist",
        "train_subset": 1200,
        "resolution": 14,
        "val_size": 133,
        "epochs": 1,
        "init_channels": 8,
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
