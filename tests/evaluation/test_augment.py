"""On-device augmentation: what each transform does, the seed, the default policy."""

import pytest
import torch

from tsenas_pymoo.evaluation.augment import Augment, make_augment
from tsenas_pymoo.evaluation.trainer import train_model
from tsenas_pymoo.space import NetworkGenome, build_network


def batch(n=64, side=8):
    return torch.arange(n * side * side, dtype=torch.float32).reshape(n, 1, side, side) + 1


def test_crop_is_a_shifted_window_of_the_zero_padded_image():
    x = batch()
    out = Augment(crop_padding=2)(x, torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    shifts = set()
    for i in range(len(x)):
        hits = [(r, c) for r in range(5) for c in range(5) if torch.equal(padded[i, :, r : r + 8, c : c + 8], out[i])]
        assert len(hits) == 1
        shifts.add(hits[0])
    assert len(shifts) > 10  # offsets differ between images


def test_flip_mirrors_about_half_and_cutout_zeroes_a_square():
    x = batch(200)
    flipped = Augment(flip=True)(x, torch.Generator().manual_seed(0))
    mirrored = [torch.equal(flipped[i], x[i].flip(2)) for i in range(200)]
    assert all(m or torch.equal(flipped[i], x[i]) for i, m in enumerate(mirrored))
    assert 70 < sum(mirrored) < 130
    cut = Augment(cutout=4)(x, torch.Generator().manual_seed(0))
    zeros = (cut == 0).flatten(1).sum(1)
    assert zeros.max() == 16 and zeros.min() >= 4  # a 4x4 square, clipped at the border
    assert torch.equal(cut[cut != 0], x[cut != 0])


def test_same_seed_same_batches_other_seed_other_batches():
    x, aug = batch(), Augment(crop_padding=1, flip=True, cutout=3)
    a = aug(x, torch.Generator().manual_seed(5))
    assert torch.equal(a, aug(x, torch.Generator().manual_seed(5)))
    assert not torch.equal(a, aug(x, torch.Generator().manual_seed(6)))


def test_training_with_augmentation_is_deterministic_and_differs_from_without():
    torch.manual_seed(0)
    x, y = torch.randn(96, 1, 8, 8), torch.arange(96) % 4
    genome = NetworkGenome.from_cells([1, 3, 1])

    def weights(augment, smoothing=0.0):
        torch.manual_seed(0)
        model = build_network(genome, (1, 8, 8), 4, 4)
        train_model(model, x, y, epochs=1, batch_size=32, device="cpu", augment=augment, label_smoothing=smoothing)
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    aug = Augment(crop_padding=1, flip=True)
    assert torch.equal(weights(aug), weights(aug))
    assert not torch.equal(weights(aug), weights(None))
    assert not torch.equal(weights(None, 0.1), weights(None))
    with pytest.raises(ValueError, match=r"label_smoothing=1.0"):
        weights(None, 1.0)


def test_policy_flips_garments_not_digits():
    assert make_augment("auto", "fashion-mnist", (1, 28, 28)) == Augment(4, True, 0)
    assert make_augment("auto", "cifar10", (3, 32, 32), cutout=16) == Augment(4, True, 16)
    assert make_augment("auto", "fashion-mnist", (1, 14, 14)).crop_padding == 2
    assert not make_augment("auto", "digits", (1, 8, 8)).active
    assert not make_augment("auto", "mnist", (1, 28, 28)).active
    assert make_augment("crop", "mnist", (1, 28, 28)) == Augment(4, False, 0)
    assert not make_augment("none", "cifar10", (3, 32, 32)).active
    with pytest.raises(ValueError, match="augment='crop,rotate': unknown \\['rotate'\\]"):
        make_augment("crop,rotate", "cifar10", (3, 32, 32))
    with pytest.raises(ValueError, match="cutout=-1"):
        Augment(cutout=-1)
