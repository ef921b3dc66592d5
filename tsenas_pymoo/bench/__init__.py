"""A surrogate benchmark of the TS-ENAS space: the table of trained networks
(:mod:`.table`), genome features (:mod:`.features`), the seed noise (:mod:`.noise`) and the
surrogate evaluator (:mod:`.surrogate`)."""

from .noise import SeedNoise
from .surrogate import Surrogate, SurrogateEvaluator
from .table import BenchTable, load_table, write_table

__all__ = ["BenchTable", "SeedNoise", "Surrogate", "SurrogateEvaluator", "load_table", "write_table"]
