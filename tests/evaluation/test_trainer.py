import pytest
import torch

from tsenas_pymoo import NetworkGenome, build_network
from tsenas_pymoo.evaluation.trainer import evaluate_accuracy, pick_device, recalibrate_batchnorm, train_model

GENOME = NetworkGenome.from_cells([3, 7, 3])


def trained(digits, seed=0, **kw):
    torch.manual_seed(seed)
    model = build_network(GENOME, digits.input_shape, 10, 4)
    result = train_model(
        model,
        digits.train_x,
        digits.train_y,
        epochs=kw.pop("epochs", 3),
        seed=seed,
        device="cpu",
        lr=kw.pop("lr", 0.1),
        **kw,
    )
    return model, result


def test_short_training_beats_chance_clearly(digits):
    model, result = trained(digits)
    assert result.ok and result.epochs == 3 and result.losses[-1] < result.losses[0]
    recalibrate_batchnorm(model, digits.train_x)
    assert evaluate_accuracy(model, digits.val_x, digits.val_y, device="cpu") > 0.6  # chance is 0.1


def test_same_seed_same_weights(digits):
    (a, _), (b, _) = trained(digits, epochs=1), trained(digits, epochs=1)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    c, _ = trained(digits, seed=1, epochs=1)
    assert not all(torch.equal(pa, pc) for pa, pc in zip(a.parameters(), c.parameters()))


def test_nan_loss_stops_training(digits):
    _, result = trained(digits, lr=1e30, epochs=3)
    assert result.status == "nan" and "loss became" in result.reason and result.epochs < 3


def test_recalibration_fixes_lagging_running_stats(digits):
    model, _ = trained(digits, epochs=2)
    before = evaluate_accuracy(model, digits.val_x, digits.val_y, device="cpu")
    recalibrate_batchnorm(model, digits.train_x)
    assert evaluate_accuracy(model, digits.val_x, digits.val_y, device="cpu") > before


def test_device_choice():
    assert pick_device("cpu").type == "cpu"
    if not torch.cuda.is_available():
        assert pick_device(None).type == "cpu"
        with pytest.raises(ValueError, match="CUDA is not available"):
            pick_device("cuda")


def test_bad_settings_are_named(digits):
    model = build_network(GENOME, digits.input_shape, 10, 4)
    with pytest.raises(ValueError, match="epochs=0"):
        train_model(model, digits.train_x, digits.train_y, epochs=0)
    with pytest.raises(ValueError, match="batch_size=1"):
        train_model(model, digits.train_x, digits.train_y, batch_size=1)


@pytest.mark.parametrize("fits_at, status", [(16, "ok"), (0, "oom")])
def test_out_of_memory_halves_the_batch_down_to_the_floor(digits, monkeypatch, fits_at, status):
    import tsenas_pymoo.evaluation.trainer as trainer

    real, tried = trainer._fit, []

    def fit(model, x, y, recipe, *args):
        tried.append(recipe.batch_size)
        if recipe.batch_size > fits_at:
            raise torch.cuda.OutOfMemoryError("injected")
        return real(model, x, y, recipe, *args)

    monkeypatch.setattr(trainer, "_fit", fit)
    torch.manual_seed(0)
    model = build_network(NetworkGenome.from_cells([3, 7]), (1, 8, 8), 10, 4)
    result = trainer.train_model(model, digits.train_x, digits.train_y, epochs=1, batch_size=128, device="cpu")
    assert result.status == status
    assert tried == ([128, 64, 32, 16] if status == "ok" else [128, 64, 32, 16, 8])
    assert status == "ok" or "batch 8" in result.reason


def test_validation_out_of_memory_halves_its_batch(digits, monkeypatch):
    import tsenas_pymoo.evaluation.trainer as trainer

    real, tried = trainer._count_correct, []

    def count(model, x, y, batch_size, *args):
        tried.append(batch_size)
        if batch_size > 256:
            raise torch.cuda.OutOfMemoryError("injected")
        return real(model, x, y, batch_size, *args)

    monkeypatch.setattr(trainer, "_count_correct", count)
    model = build_network(NetworkGenome.from_cells([3, 7]), (1, 8, 8), 10, 4)
    expected = real(model.eval(), digits.val_x, digits.val_y, 1024, torch.device("cpu"), False)
    accuracy = trainer.evaluate_accuracy(model, digits.val_x, digits.val_y, device="cpu")
    assert tried == [1024, 512, 256] and accuracy == float(expected) / len(digits.val_y)


def test_a_training_bar_counts_images_to_its_total_and_still_calls_the_callers(digits, capsys):
    epochs, seen = [], []
    model = build_network(GENOME, digits.input_shape, 10, 4)
    n = len(digits.train_y)
    train_model(
        model,
        digits.train_x,
        digits.train_y,
        epochs=2,
        batch_size=64,
        device="cpu",
        progress="SuperNet",
        on_epoch=lambda e, loss: epochs.append(e),
        on_batch=seen.append,
    )
    assert epochs == [1, 2] and sum(seen) == 2 * n
    last = [line for line in capsys.readouterr().err.replace("\r", "\n").split("\n") if line.startswith("SuperNet")][-1]
    assert "100%" in last and "img" in last and "epoch=2" in last
