"""On-device data augmentation for the final training (the paper's recipe, Sec. V-C, as
in the DARTS reference training: random crop with padding, horizontal flip, optional
cutout), applied to whole batches with tensor ops: no per-image Python loop.

Every random draw comes from the training's CPU ``torch.Generator`` (the one that also
orders the batches) and is then moved to the device, so the same seed gives the same
augmented batches on any device. Padding is with zeros of the normalized images, i.e.
the training mean.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

#: Data sets whose images may be mirrored (garments, objects); digits and other
#: MNIST-format sets are not flipped (a mirrored digit is another glyph or none).
FLIP_DATASETS = ("fashion-mnist", "cifar10", "cifar100")
#: Data sets the final training augments by default (the paper's two).
AUGMENT_DATASETS = FLIP_DATASETS


@dataclass(frozen=True)
class Augment:
    """``crop_padding`` pixels of zero padding before a random crop back to size (0: no
    crop); ``flip``: mirror half the images left-right; ``cutout``: zero one square of
    this side per image (0: off; DARTS uses 16 on 32x32)."""

    crop_padding: int = 0
    flip: bool = False
    cutout: int = 0

    def __post_init__(self):
        for name in ("crop_padding", "cutout"):
            if int(getattr(self, name)) < 0:
                raise ValueError(f"augment {name}={getattr(self, name)}; rule: at least 0")

    @property
    def active(self) -> bool:
        return bool(self.crop_padding or self.flip or self.cutout)

    def describe(self) -> dict:
        return asdict(self)

    def __call__(self, x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        n, _, h, w = x.shape
        if self.crop_padding:
            x = _random_crop(x, self.crop_padding, generator)
        if self.flip:
            mirror = (torch.rand(n, generator=generator) < 0.5).to(x.device)
            x = torch.where(mirror[:, None, None, None], x.flip(3), x)
        if self.cutout:
            centre = torch.stack(
                [torch.randint(0, h, (n,), generator=generator), torch.randint(0, w, (n,), generator=generator)], 1
            ).to(x.device)
            rows = torch.arange(h, device=x.device)[None, :] - centre[:, :1]
            cols = torch.arange(w, device=x.device)[None, :] - centre[:, 1:]
            low, high = -(self.cutout // 2), self.cutout - self.cutout // 2  # cutout pixels a side
            inside = ((rows >= low) & (rows < high))[:, :, None] & ((cols >= low) & (cols < high))[:, None, :]
            x = x * (~inside)[:, None].to(x.dtype)
        return x


def _random_crop(x: torch.Tensor, padding: int, generator: torch.Generator) -> torch.Tensor:
    """Pad every image by ``padding`` and crop it back at its own random offset (a gather)."""
    n, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))
    offsets = torch.randint(0, 2 * padding + 1, (n, 2), generator=generator).to(x.device)
    rows = (offsets[:, :1] + torch.arange(h, device=x.device))[:, :, None]  # (n, h, 1)
    cols = (offsets[:, 1:] + torch.arange(w, device=x.device))[:, None, :]  # (n, 1, w)
    batch = torch.arange(n, device=x.device)[:, None, None]
    out = padded.permute(0, 2, 3, 1)[batch, rows, cols]  # (n, h, w, c)
    return out.permute(0, 3, 1, 2)


def make_augment(spec: str | Augment | None, dataset: str, input_shape, cutout: int = 0) -> Augment:
    """An :class:`Augment` from a spec: ``"auto"`` (crop, plus flip where it is right, for
    the data sets of ``AUGMENT_DATASETS``; nothing elsewhere), ``"none"``, or a comma list
    of ``crop`` and ``flip``. Crop padding is 1/8 of the image side (4 on 28 and 32)."""
    if isinstance(spec, Augment):
        return spec
    spec = (spec or "none").lower().replace(" ", "")
    padding = max(1, round(min(input_shape[1:]) / 8))
    if spec == "auto":
        if dataset not in AUGMENT_DATASETS:
            return Augment(cutout=cutout)
        return Augment(padding, dataset in FLIP_DATASETS, cutout)
    parts = set() if spec == "none" else set(spec.split(","))
    unknown = parts - {"crop", "flip"}
    if unknown:
        raise ValueError(
            f"augment={spec!r}: unknown {sorted(unknown)}; rule: 'auto', 'none' or a comma list of 'crop' and 'flip'"
        )
    return Augment(padding if "crop" in parts else 0, "flip" in parts, cutout)


__all__ = ["AUGMENT_DATASETS", "FLIP_DATASETS", "Augment", "make_augment"]
