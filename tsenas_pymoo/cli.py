"""The ``tsenas`` command line.

``tsenas describe CODE [CODE ...]``: decode a chain of Table II cell codes and report its
depth, reductions, parameters and FLOPs. (``search``, ``train`` and ``plot`` arrive with
the two-stage algorithm.)
"""

from __future__ import annotations

import argparse
import sys

from .space.cells import CELLS
from .space.genome import NetworkGenome
from .space.network import network_cost


def _shape(text: str) -> tuple[int, int, int]:
    try:
        shape = tuple(int(v) for v in text.lower().split("x"))
    except ValueError:
        shape = ()
    if len(shape) != 3 or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: rule: CxHxW with positive integers, e.g. 1x28x28")
    return shape


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tsenas", description="TS-ENAS neural architecture search on pymoo")
    sub = parser.add_subparsers(dest="command", required=True)
    describe = sub.add_parser("describe", help="decode a chain of cell codes and report its cost")
    describe.add_argument("codes", type=int, nargs="+", help="Table II cell codes 1-8, one per cell")
    describe.add_argument("--free-inputs", type=int, nargs="+", default=None,
                          help="free input of each cell (default: two cells back, or the stem)")
    describe.add_argument("--input-shape", type=_shape, default=(1, 8, 8), help="CxHxW (default 1x8x8)")
    describe.add_argument("--num-classes", type=int, default=10)
    describe.add_argument("--init-channels", type=int, default=16)
    return parser


def describe(args) -> None:
    genome = NetworkGenome.from_cells(args.codes, args.free_inputs).validate(input_shape=args.input_shape)
    cost = network_cost(genome, args.input_shape, args.num_classes, args.init_channels)
    print(f"genome      {genome.key()}")
    for j, (code, free) in enumerate(zip(genome.codes, genome.free_inputs), start=1):
        print(f"  cell {j:2d}  {CELLS[code].name:<22s} inputs ({free}, {j - 1})")
    print(f"N           {genome.n_cells} cells, {genome.n_reductions} reduction")
    print(f"params      {cost['params']:,}")
    print(f"FLOPs       {cost['flops']:,} per image of {'x'.join(map(str, args.input_shape))}")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        {"describe": describe}[args.command](args)
    except ValueError as err:
        parser.exit(2, f"tsenas {args.command}: error: {err}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
