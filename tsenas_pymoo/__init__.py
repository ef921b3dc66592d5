"""tsenas_pymoo: TS-ENAS (Two-Stage Evolution for cell-based NAS, Zou et al.) on pymoo."""

from .evaluation import (Archive, Dataset, SuperNet, TorchEvaluator, WeightStore, from_arrays, load_dataset,
                         train_model)
from .operators import (AlphaLevelSurvival, CellCrossover, CellMutation, GenomeDuplicateElimination,
                        GenomeRepair, NodeEdgeMutation, PruningMutation, TSENASSampling,
                        compare_by_alpha_level)
from .algorithm import TSENAS, BestAccuracyCallback
from .export import load_genotype, load_network, save_genotype, train_final
from .fine_problem import FineSearchProblem
from .plotting import plot_convergence, plot_hypervolume, plot_pareto, plot_trajectory
from .problem import TSENASProblem
from .runner import SearchConfig, SearchRun, run_search
from .space import CELLS, OPS, CellGenome, FineGenome, NetworkGenome, build_network, network_cost

__version__ = "0.1.0"

__all__ = [
    "TSENASProblem", "TSENASSampling", "CellCrossover", "CellMutation", "AlphaLevelSurvival",
    "GenomeRepair", "GenomeDuplicateElimination", "NodeEdgeMutation", "PruningMutation",
    "compare_by_alpha_level", "NetworkGenome", "FineGenome", "CellGenome", "build_network",
    "network_cost", "OPS", "CELLS", "TorchEvaluator", "WeightStore", "Archive", "SuperNet", "Dataset",
    "load_dataset", "from_arrays", "train_model", "TSENAS", "BestAccuracyCallback", "FineSearchProblem",
    "plot_convergence", "plot_trajectory", "plot_pareto", "plot_hypervolume", "train_final", "save_genotype", "load_genotype", "load_network",
    "SearchConfig", "SearchRun", "run_search",
]
