"""scikit-learn estimators around any Keras model (a drop-in for scikeras)."""

from skdeep.wrappers._classifier import KerasClassifier
from skdeep.wrappers._regressor import KerasRegressor
from skdeep.wrappers._transformer import KerasTransformer

__all__ = ["KerasClassifier", "KerasRegressor", "KerasTransformer"]
