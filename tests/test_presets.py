"""Presets: a named proxy fills the settings not given, and a run keeps what it ran with."""

import dataclasses
import json

import pytest

from tsenas_pymoo import presets
from tsenas_pymoo.cli import config_from_argv
from tsenas_pymoo.config import SearchConfig


def test_preset_fills_the_settings_not_given_and_explicit_ones_win():
    gpu = SearchConfig(preset="gpu")
    assert (gpu.dataset, gpu.epochs, gpu.init_channels, gpu.val_size) == ("fashion-mnist", 10, 16, None)
    mine = SearchConfig(preset="gpu", epochs=2, init_channels=8)  # both equal to no preset's value
    assert (mine.epochs, mine.init_channels, mine.dataset) == (2, 8, "fashion-mnist")
    assert SearchConfig().epochs == 2 and SearchConfig().preset is None
    with pytest.raises(ValueError, match="preset='laptop'; rule: one of cpu, cpu-quick, gpu"):
        SearchConfig(preset="laptop")


def test_cli_options_given_win_over_the_preset_even_at_their_default():
    config = config_from_argv(["--preset", "gpu", "--epochs", "2", "--out", "x"])
    assert config.epochs == 2 and config.init_channels == 16 and config.preset == "gpu"
    assert config_from_argv(["--out", "x"]) == SearchConfig()  # defaults resolved for everyone


def test_preset_round_trips_through_config_json_even_if_the_preset_changes_later(tmp_path, monkeypatch):
    monkeypatch.setitem(
        presets.PRESETS,
        "tiny",
        {"dataset": "digits", "epochs": 3, "init_channels": 4, "val_size": 300, "train_subset": 1000},
    )
    config = SearchConfig(preset="tiny", epochs=1)
    path = tmp_path / "config.json"
    path.write_text(json.dumps(dataclasses.asdict(config)))
    monkeypatch.setitem(presets.PRESETS, "tiny", {"dataset": "digits", "epochs": 9, "init_channels": 32})
    again = SearchConfig.from_json(path)
    assert again == config and (again.epochs, again.init_channels, again.val_size) == (1, 4, 300)
    monkeypatch.delitem(presets.PRESETS, "tiny")  # a later version dropped the preset: the run still resumes
    assert SearchConfig.from_json(path) == config


def test_a_search_under_a_preset_resumes_with_its_settings(tmp_path, monkeypatch):
    from tsenas_pymoo.run import SearchRun

    monkeypatch.setitem(
        presets.PRESETS,
        "tiny",
        {"dataset": "digits", "epochs": 1, "init_channels": 4, "val_size": 300, "train_subset": 1000, "batch_size": 64},
    )
    config = SearchConfig(
        preset="tiny",
        pop_size=4,
        fine_size=2,
        stage1_gens=1,
        stage2_gens=0,
        n_max=4,
        supernet_epochs=0,
        final_epochs=1,
        threads=1,
        device="cpu",
    )
    run = SearchRun(tmp_path / "run", config, progress=False)
    summary = run.run()
    saved = json.loads((tmp_path / "run" / "config.json").read_text())
    assert saved["preset"] == "tiny" and saved["val_size"] == 300 and saved["epochs"] == 1
    assert SearchRun.resume(tmp_path / "run", progress=False).config == config
    data = summary["final"]["data"]
    assert data["val"] == 300 and data["train"] == 1000 and "pool" in data["splits"]["selection"]
