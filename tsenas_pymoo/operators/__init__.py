"""pymoo operators of TS-ENAS, one file per operator kind."""

from .crossover import CellCrossover, cross_cells
from .duplicates import GenomeDuplicateElimination
from .fine import NodeEdgeMutation, PruningMutation, mutate_edge, mutate_fine, mutate_node, prune_fine, prune_node
from .mutation import CellMutation, mutate_cells, mutate_connections, mutate_genome
from .repair import GenomeRepair, repair_vector
from .sampling import TSENASSampling, sample_genome
from .survival import AlphaLevelSurvival, alpha_levels, compare_by_alpha_level, select_by_alpha_levels
