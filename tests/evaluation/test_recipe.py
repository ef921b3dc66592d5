"""TrainRecipe: one value for how a network trains, taken by every trainer."""

import pickle

import pytest
import torch

from tsenas_pymoo import NetworkGenome, TorchEvaluator, build_network
from tsenas_pymoo.evaluation.augment import Augment
from tsenas_pymoo.evaluation.recipe import TrainRecipe
from tsenas_pymoo.evaluation.trainer import train_model
from tsenas_pymoo.final import FINAL


def _model():
    torch.manual_seed(0)
    return build_network(NetworkGenome.from_cells([3, 7]), (1, 8, 8), 10, 4)


def test_a_recipe_and_its_fields_as_keywords_train_the_same_weights(digits):
    recipe = TrainRecipe(epochs=1, batch_size=64, lr=0.05, device="cpu", warmup=0.2)
    a, b = _model(), _model()
    train_model(a, digits.train_x, digits.train_y, recipe, seed=3)
    train_model(b, digits.train_x, digits.train_y, epochs=1, batch_size=64, lr=0.05, device="cpu", warmup=0.2, seed=3)
    assert all(torch.equal(a.state_dict()[k], v) for k, v in b.state_dict().items())


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"epochs": 0}, "epochs=0"),
        ({"batch_size": 1}, "batch_size=1"),
        ({"warmup": 1.0}, "warmup=1.0"),
        ({"label_smoothing": -0.1}, "label_smoothing=-0.1"),
    ],
)
def test_a_bad_field_is_one_line_naming_it_also_on_replace(changes, message):
    with pytest.raises(ValueError, match=message):
        TrainRecipe(**changes)
    with pytest.raises(ValueError, match=message):
        TrainRecipe().replace(**changes)


def test_an_augmentation_spec_is_resolved_for_the_data_before_training(digits):
    recipe = TrainRecipe(epochs=1, augment="auto", cutout=2, device="cpu")
    with pytest.raises(ValueError, match=r"recipe\.for_data"):
        train_model(_model(), digits.train_x, digits.train_y, recipe)
    resolved = recipe.for_data("fashion-mnist", (1, 28, 28))
    assert resolved.augment == Augment(4, True, 2) and resolved.for_data("x", (1, 8, 8)) is resolved
    assert TrainRecipe(cutout=3).for_data("digits", (1, 8, 8)).augment == Augment(cutout=3)


def test_the_evaluator_reads_its_settings_from_its_recipe_and_a_worker_can_move_it(digits):
    ev = TorchEvaluator(digits, epochs=2, batch_size=64, device="cpu", init_channels=4)
    assert (ev.epochs, ev.batch_size, ev.lr, ev.device) == (2, 64, 0.1, "cpu")  # the evaluator's lr default
    assert ev.recipe.augment == Augment()  # resolved: none for the short trainings
    ev._device_data = {"cached": torch.zeros(1)}
    ev.device = "cpu"
    assert ev._device_data is None and ev.recipe.device == "cpu"
    assert FINAL.epochs == 50 and FINAL.augment == "auto"


def test_an_evaluator_pickled_before_the_recipe_unpickles_with_one(digits):
    ev = TorchEvaluator(digits, epochs=2, batch_size=64, device="cpu", init_channels=4)
    state = ev.__getstate__()
    old = {k: v for k, v in state.items() if k != "recipe"}
    old.update(epochs=3, batch_size=32, lr=0.2, device="cpu", amp=False, channels_last=True, augment=Augment())
    restored = TorchEvaluator.__new__(TorchEvaluator)
    restored.__setstate__(old)
    assert restored.recipe == TrainRecipe(epochs=3, batch_size=32, lr=0.2, device="cpu", amp=False, augment=Augment())
    assert pickle.loads(pickle.dumps(ev)).recipe == ev.recipe


def test_a_setting_the_evaluator_does_not_take_names_the_route_that_does(digits):
    with pytest.raises(TypeError, match=r"train_subset is not a setting.*SearchConfig\(preset=\.\.\., train_subset"):
        TorchEvaluator(digits, train_subset=400)
