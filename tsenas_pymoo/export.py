"""Export a trained network for inference: TorchScript (by tracing), ``torch.export``
(a ``.pt2`` file) and ONNX (the optional ``[export]`` extra: onnx, onnxscript,
onnxruntime).

``torch.jit.script`` cannot compile the network (its cells index a ``ModuleDict`` by
computed names), so TorchScript is traced: the graph is fixed, which is exact here
because a decoded network has no data-dependent control flow. Every format keeps the
batch dimension dynamic. :func:`check_export` loads the written file back and returns
the largest absolute difference from the eager model's logits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import torch

FORMATS = ("torchscript", "pt2", "onnx")
SUFFIX = {"torchscript": ".pt", "pt2": ".pt2", "onnx": ".onnx"}


def _check_export_format(fmt: str) -> None:
    if fmt not in FORMATS:
        raise ValueError(f"format={fmt!r}; rule: one of {', '.join(FORMATS)}")


def _onnx_missing(err: ImportError) -> ImportError:
    return ImportError(
        f'ONNX export needs the optional packages ({err.name} is missing); rule: pip install "tsenas_pymoo[export]"'
    )


def export_model(model: torch.nn.Module, input_shape: Sequence[int], fmt: str, path: str | Path) -> Path:
    """Write ``model`` (eval mode, CPU, float32) in ``fmt`` to ``path``; inputs are
    (batch, *input_shape) float tensors."""
    _check_export_format(fmt)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    model = model.eval().cpu().float()
    example = torch.rand(2, *input_shape)
    batch = torch.export.Dim("batch")
    with torch.no_grad():
        if fmt == "torchscript":
            torch.jit.trace(model, example).save(str(path))
        elif fmt == "pt2":
            torch.export.save(torch.export.export(model, (example,), dynamic_shapes=({0: batch},)), str(path))
        else:
            try:
                import onnxscript  # noqa: F401  (the exporter needs it)
            except ImportError as err:
                raise _onnx_missing(err) from None
            torch.onnx.export(
                model,
                (example,),
                str(path),
                input_names=["images"],
                output_names=["logits"],
                dynamic_shapes=({0: batch},),
                dynamo=True,
                verbose=False,
            )
    return path


def load_exported(path: str | Path, fmt: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """A function images -> logits backed by the exported file."""
    _check_export_format(fmt)
    path = str(path)
    if fmt == "torchscript":
        module = torch.jit.load(path)
        return lambda x: module(x)
    if fmt == "pt2":
        module = torch.export.load(path).module()
        return lambda x: module(x)
    try:
        import onnxruntime
    except ImportError as err:
        raise _onnx_missing(err) from None
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    return lambda x: torch.from_numpy(session.run(None, {"images": x.detach().cpu().numpy()})[0])


@torch.no_grad()
def check_export(model: torch.nn.Module, path: str | Path, fmt: str, images: torch.Tensor) -> float:
    """Largest absolute difference between the eager model's and the exported file's
    logits on ``images``."""
    expected = model.eval().cpu().float()(images)
    got = load_exported(path, fmt)(images)
    return float((expected - got).abs().max())


_MOVED = {
    "genotype_dict": "genotype",
    "save_genotype": "genotype",
    "load_genotype": "genotype",
    "load_network": "genotype",
    "normalization": "genotype",
    "Normalize": "genotype",
    "FORMAT": "genotype",
    "train_final": "final",
    "fit_and_test": "final",
}


def __getattr__(name: str):
    """The genotype I/O and the final training lived here before 0.5.0: still importable
    from here, with a DeprecationWarning naming their module now."""
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib
    import warnings

    where = f"tsenas_pymoo.{_MOVED[name]}"
    new = "GENOTYPE_FORMAT" if name == "FORMAT" else name
    warnings.warn(f"tsenas_pymoo.export.{name} moved to {where}.{new}", DeprecationWarning, stacklevel=2)
    return getattr(importlib.import_module(where), new)


__all__ = ["FORMATS", "SUFFIX", "check_export", "export_model", "load_exported"]
