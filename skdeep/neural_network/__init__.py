"""Keras-backed estimators: multi-layer perceptrons and the Wide & Deep network.

Where each concern lives (the wrappers for a user's own model are in
``skdeep.wrappers``; what both share is in ``skdeep._bridge``):

- the estimators: ``_mlp`` (``MLPClassifier``, ``MLPRegressor``), ``_wide_deep``
  (``WideDeepRegressor``), ``_classification`` (the classifier's target hooks),
  ``_regression`` (what the two regressors share), ``_docstrings`` (the parameter
  and attribute docs the three share);
- ``_parameters``: their parameter constraints, importable without Keras (the
  ``skdeep`` command checks ``--param`` with them before TensorFlow loads);
- ``_base``: their base class -- parameters, the hooks the estimators override,
  tags, pickling; ``_fitting``: the fit (its arguments checked, the network built,
  the choice of engine, interruption); ``_predicting``: predictions routed to the
  inference pass or MC dropout; ``_stored_network``: the network in the pickled
  state (its weights and the NumPy pass's plan), ``model_`` built on first use
  after loading;
- ``_epochs``: the epoch loop (scikit-learn's fitted records, early stopping and
  verbose lines, the learning-rate rules of ``_schedules``) and ``_callbacks``: the
  Keras callbacks it calls, with the model and optimizer view they need;
- ``_architectures``: the Keras networks they build;
- ``_engine_interface``: what crosses the seam to the training engines
  (``Engine``, ``EpochResult``; the fit's description is the one
  ``skdeep._bridge.engine.TrainingSpec``), which the engines import;
  ``_engine``: the choice of engine (``make_engine``, the only importer of the
  engines) and of inference pass (``predictor``);
- the engines: ``_numpy_training`` + ``_numpy_layers`` + ``_numpy_optimizers``
  (NumPy, the CPU default),
  ``_training`` + ``_optimizers`` + ``_tf_forward`` (compiled TensorFlow, GPUs),
  ``_keras_engine`` (any network, every backend, through ``skdeep._bridge.engine``);
- ``_inference``: the NumPy inference pass, which runs the plain-data plan of
  ``_inference_plan``; ``_graph``: the walk of a functional network both NumPy
  passes share. The ``device`` parameter is resolved by
  ``skdeep._bridge._devices``, as the wrappers' is;
- the tabular recipe: ``_tabular``
  (``TabularMLPRegressor``, ``TabularMLPClassifier``) on ``_tabular_base`` (their
  parameters, preprocessing and training through ``skdeep._bridge.engine``), with
  ``_tabular_preprocessing`` (robust scaling, smooth clipping), ``_tabular_layers``
  (its Keras layers and data-dependent initialisation) and ``_tabular_training``
  (its schedules and optimizer); the network is built in ``_architectures``.
"""

import importlib

# public name -> module. Loaded on first use (PEP 562, as in ``skdeep``): the
# estimators import Keras, and ``_parameters`` (their constraints) must stay
# importable without it.
_LAZY = {
    "MLPClassifier": "skdeep.neural_network._mlp",
    "MLPRegressor": "skdeep.neural_network._mlp",
    "WideDeepRegressor": "skdeep.neural_network._wide_deep",
    "TabularMLPClassifier": "skdeep.neural_network._tabular",
    "TabularMLPRegressor": "skdeep.neural_network._tabular",
    "find_learning_rate": "skdeep.neural_network._lr_finder",
    "reuse_layers": "skdeep.neural_network._transfer",
}

__all__ = sorted(_LAZY)


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + __all__)
