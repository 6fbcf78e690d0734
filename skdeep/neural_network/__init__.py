"""Keras-backed estimators: multi-layer perceptrons and the Wide & Deep network."""

from skdeep.neural_network._mlp import MLPClassifier, MLPRegressor
from skdeep.neural_network._transfer import reuse_layers
from skdeep.neural_network._wide_deep import WideDeepRegressor

__all__ = [
    "MLPClassifier",
    "MLPRegressor",
    "WideDeepRegressor",
    "reuse_layers",
]
