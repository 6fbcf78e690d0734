"""BaseWrapper: the class KerasClassifier, KerasRegressor and KerasTransformer share.

Its parameters are here; what it does lives in one module per concern (see the
package docstring): ``_params`` (parameters beyond the constructor's),
``_instances`` (a model given as an instance), ``_building``, ``_io`` (several
inputs and outputs), ``_fitting``, ``_predicting`` and ``_pickling``.
"""

from numbers import Integral, Real

from sklearn.utils._param_validation import Interval, StrOptions

from skdeep._bridge._estimator import KerasEstimator
from skdeep._bridge._precision import PRECISIONS
from skdeep.wrappers._building import BuildingMixin
from skdeep.wrappers._fitting import FittingMixin
from skdeep.wrappers._io import InputsOutputsMixin
from skdeep.wrappers._params import ParamsMixin
from skdeep.wrappers._pickling import PicklingMixin
from skdeep.wrappers._predicting import PredictingMixin


class BaseWrapper(
    ParamsMixin,
    BuildingMixin,
    InputsOutputsMixin,
    FittingMixin,
    PredictingMixin,
    PicklingMixin,
    KerasEstimator,
):
    """Base class of the Keras model wrappers. Not for direct use.

    Parameters beyond the constructor's own are allowed, as in scikeras: the build
    function's arguments (by bare name, ``n_hidden``, or routed, ``model__n_hidden``)
    and routed ``optimizer__``, ``loss__``, ``metrics__``, ``callbacks__``, ``fit__``
    and ``predict__`` parameters. They are ordinary parameters for ``get_params``,
    ``set_params``, ``clone`` and the searches.
    """

    _parameter_constraints: dict = {
        "model": [callable, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "optimizer": [str, type, object],
        "loss": [str, type, callable, None, object],
        "metrics": [list, tuple, dict, str, None, object],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "validation_batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
        "callbacks": [list, tuple, None, object],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "shuffle": ["boolean"],
        "run_eagerly": ["boolean"],
        "epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "jit_compile": [StrOptions({"auto"}), "boolean"],
        "device": [str, list, tuple],
        "precision": [StrOptions(set(PRECISIONS)), None],
        "input_features": [list, tuple, dict, None],
    }

    def __init__(
        self,
        model=None,
        *,
        warm_start=False,
        random_state=None,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        batch_size=None,
        validation_batch_size=None,
        verbose=0,
        callbacks=None,
        validation_split=0.0,
        shuffle=True,
        run_eagerly=False,
        epochs="auto",
        jit_compile="auto",
        device="auto",
        precision=None,
        input_features=None,
        **kwargs,
    ):
        self.model = model
        self.warm_start = warm_start
        self.random_state = random_state
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.batch_size = batch_size
        self.validation_batch_size = validation_batch_size
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.run_eagerly = run_eagerly
        self.epochs = epochs
        self.jit_compile = jit_compile
        self.device = device
        self.precision = precision
        self.input_features = input_features
        # Build-function arguments and routed parameters: parameters like the
        # others for get_params / set_params / clone, kept apart from the
        # constructor's attributes (scikit-learn's checks ask for that).
        self._kwargs = dict(kwargs)

    @property
    def current_epoch(self):
        """Epochs trained so far (scikeras's name for ``current_epoch_``)."""
        return self.__dict__.get("current_epoch_", 0)
