"""Evaluation: data, short training, SuperNet, weight store, archive and the evaluator."""

from ..interface import EvaluatorBase, IgnoresNotes, SearchEvaluator, notes_for, search_evaluator
from .archive import Archive
from .augment import Augment, make_augment
from .data import Dataset, from_arrays, load_dataset
from .evaluator import TorchEvaluator, genome_seed
from .lineage import Lineage, WarmStart
from .supernet import SuperNet
from .trainer import evaluate_accuracy, pick_device, recalibrate_batchnorm, train_model
from .weights import WeightStore, weight_units
