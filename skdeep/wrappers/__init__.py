"""scikit-learn estimators around any Keras model (a drop-in for scikeras and for
Keras's own ``keras.wrappers``).

Where things live:

- ``_classifier.py``, ``_regressor.py``, ``_transformer.py``: the public estimators,
  their documented parameters, prediction methods and target hooks.
- ``_base.py``: ``BaseWrapper``, the constructor and parameter constraints the three
  share, assembled from one mixin per concern:

  - ``_params.py``: build-function arguments and routed parameters as parameters
    (``get_params``, ``set_params``, ``clone``); the routed syntaxes themselves
    (``loss__``, ``optimizer__``, ``metrics__0__``, ``callbacks__``) are parsed in
    ``skdeep._bridge._routing``;
  - ``_instances.py``: a ``keras.Model`` given as ``model``, shared by clones and
    copied faithfully for every fit;
  - ``_building.py``: calling the build function, compiling, ``meta``, each
    output's encoding;
  - ``_io.py``: several inputs and outputs (X and y as tuples, lists or dicts, the
    ``input_features`` split of one table);
  - ``_fitting.py``: ``fit``, ``initialize``, the checks of a later partial or warm
    fit, streamed and validation data;
  - ``_predicting.py``: the compiled predictor and Monte Carlo dropout draws
    (``mc_samples``);
  - ``_pickling.py``: pickling (networks as ``.keras`` bytes).
"""

from skdeep.wrappers._classifier import KerasClassifier
from skdeep.wrappers._regressor import KerasRegressor
from skdeep.wrappers._transformer import KerasTransformer

__all__ = ["KerasClassifier", "KerasRegressor", "KerasTransformer"]
