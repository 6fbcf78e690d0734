"""Keras-backed estimators: multi-layer perceptrons and the Wide & Deep network."""

from skdeep.neural_network._mlp import MLPClassifier, MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
