"""skdeep: scikit-learn estimators for deep learning and unsupervised learning."""

import importlib
import importlib.metadata

# the distribution's name on the package index; the import name is skdeep
DISTRIBUTION = "scikit-deep"

try:
    __version__ = importlib.metadata.version(DISTRIBUTION)
except importlib.metadata.PackageNotFoundError:  # a source tree that is not installed
    __version__ = "0+unknown"

# public name -> subpackage that defines it. Every name loads lazily (PEP 562), so
# ``import skdeep`` imports neither TensorFlow nor Keras, and the classic estimators
# never do.
_LAZY = {
    "MLPClassifier": "skdeep.neural_network",
    "MLPRegressor": "skdeep.neural_network",
    "WideDeepRegressor": "skdeep.neural_network",
    "TabularMLPClassifier": "skdeep.neural_network",
    "TabularMLPRegressor": "skdeep.neural_network",
    "ClusterPropagationClassifier": "skdeep.semi_supervised",
    "GaussianMixtureAnomalyDetector": "skdeep.anomaly",
    "DBSCANPredictor": "skdeep.cluster",
    "KerasClassifier": "skdeep.wrappers",
    "KerasRegressor": "skdeep.wrappers",
    "KerasTransformer": "skdeep.wrappers",
}

# public functions -> module (skops is imported on the first call, not here)
_FUNCTIONS = {"save": "skdeep._persistence", "load": "skdeep._persistence"}

__all__ = sorted(_LAZY) + sorted(_FUNCTIONS)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _FUNCTIONS:
        return getattr(importlib.import_module(_FUNCTIONS[name]), name)
    raise AttributeError(f"module 'skdeep' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
