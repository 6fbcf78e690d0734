"""Keras-backed estimators: multi-layer perceptrons and the Wide & Deep network."""

from skdeep.neural_network._lr_finder import find_learning_rate
from skdeep.neural_network._mlp import MLPClassifier, MLPRegressor
from skdeep.neural_network._wide_deep import WideDeepRegressor

__all__ = ["MLPClassifier", "MLPRegressor", "WideDeepRegressor", "find_learning_rate"]
