"""Semi-supervised learning by clustering, and active-learning helpers."""

from skdeep.semi_supervised._active_learning import (
    active_learning_loop,
    query_indices,
    uncertainty_scores,
)
from skdeep.semi_supervised._cluster_propagation import ClusterPropagationClassifier
from skdeep.semi_supervised._scoring import LabelledKFold, labelled_scorer

__all__ = [
    "ClusterPropagationClassifier",
    "LabelledKFold",
    "active_learning_loop",
    "labelled_scorer",
    "query_indices",
    "uncertainty_scores",
]
