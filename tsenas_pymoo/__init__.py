"""tsenas_pymoo: TS-ENAS (Two-Stage Evolution for cell-based NAS, Zou et al.) on pymoo.

Names are imported on first use (PEP 562), so ``import tsenas_pymoo`` and the ``tsenas``
command stay light until torch is needed; the CLI sets the thread policy before that.
"""

from importlib import import_module

__version__ = "0.8.2"

_SOURCES = {
    ".evaluation": (
        "Archive",
        "Dataset",
        "SuperNet",
        "TorchEvaluator",
        "WeightStore",
        "from_arrays",
        "load_dataset",
        "train_model",
    ),
    ".operators": (
        "AlphaLevelSurvival",
        "CellCrossover",
        "CellMutation",
        "GenomeDuplicateElimination",
        "GenomeRepair",
        "NodeEdgeMutation",
        "PruningMutation",
        "TSENASSampling",
        "compare_by_alpha_level",
    ),
    ".interface": ("EvaluatorBase", "IgnoresNotes", "SearchEvaluator", "search_evaluator"),
    ".search.algorithm": ("TSENAS", "GenerationRecorder", "BestAccuracyCallback", "accuracy_output"),
    ".search.options": ("TSENASOptions", "tsenas_keywords"),
    ".genotype": ("load_genotype", "load_network", "save_genotype"),
    ".final": ("train_final",),
    ".search.fine_problem": ("FineSearchProblem",),
    ".search.mixed_problem": ("TSENASMixedProblem",),
    ".plotting": (
        "plot_cell",
        "plot_cells",
        "plot_compare",
        "plot_convergence",
        "plot_hypervolume",
        "plot_pareto",
        "plot_trajectory",
    ),
    ".export": ("check_export", "export_model", "load_exported"),
    ".search.problem": ("TSENASProblem",),
    ".config": ("SearchConfig",),
    ".threads": ("set_threads",),
    ".run": ("SearchRun", "run_search"),
    ".space": ("CELLS", "OPS", "CellGenome", "FineGenome", "NetworkGenome", "build_network", "network_cost"),
}
_WHERE = {name: module for module, names in _SOURCES.items() for name in names}

__all__ = sorted(_WHERE)  # noqa: PLE0605 - built from the one table above


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'tsenas_pymoo' has no attribute {name!r}")
    value = getattr(import_module(_WHERE[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
