"""The base of the built-in networks (MLPs, Wide & Deep): the scikit-learn side.

It owns the parameters, the small hooks estimators override (``_architecture``,
``_encode_y``, ``_loss_name`` ...), tags and pickling. The fit (validation of its
arguments, the choice of engine, the epochs) is in ``_fitting``, the routing of
predictions to the inference pass in ``_predicting``.
"""

import warnings
from abc import ABCMeta, abstractmethod

import numpy as np
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.validation import validate_data

from skdeep._bridge._estimator import KerasEstimator
from skdeep.neural_network import _stored_network
from skdeep.neural_network._fitting import _FitMixin
from skdeep.neural_network._parameters import BASE_PARAMETER_CONSTRAINTS
from skdeep.neural_network._predicting import _PredictMixin

MIXED_PRECISIONS = ("mixed_float16", "mixed_bfloat16")


class _BaseKerasEstimator(_FitMixin, _PredictMixin, KerasEstimator, metaclass=ABCMeta):
    """Base class for skdeep's Keras-backed estimators. Not for direct use."""

    _parameter_constraints: dict = BASE_PARAMETER_CONSTRAINTS

    @abstractmethod
    def __init__(
        self,
        hidden_layer_sizes,
        activation,
        *,
        solver,
        alpha,
        batch_size,
        learning_rate,
        learning_rate_init,
        power_t,
        max_iter,
        shuffle,
        random_state,
        tol,
        verbose,
        warm_start,
        momentum,
        nesterovs_momentum,
        early_stopping,
        validation_fraction,
        beta_1,
        beta_2,
        epsilon,
        n_iter_no_change,
        max_fun,
        kernel_initializer,
        batch_normalization,
        dropout,
        device,
        dtype,
        engine,
        rho,
        weight_decay,
        decay_rate,
        decay_steps,
        piecewise_boundaries,
        piecewise_values,
        reduce_factor,
        max_learning_rate,
        callbacks,
        checkpoint_path,
        checkpoint_best_only,
        tensorboard_log_dir,
        negative_slope,
        input_batch_normalization,
        l1,
        max_norm,
        clipnorm,
        clipvalue,
        init_from,
        precision=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.kernel_initializer = kernel_initializer
        self.batch_normalization = batch_normalization
        self.dropout = dropout
        self.device = device
        self.dtype = dtype
        self.engine = engine
        self.rho = rho
        self.weight_decay = weight_decay
        self.decay_rate = decay_rate
        self.decay_steps = decay_steps
        self.piecewise_boundaries = piecewise_boundaries
        self.piecewise_values = piecewise_values
        self.reduce_factor = reduce_factor
        self.max_learning_rate = max_learning_rate
        self.callbacks = callbacks
        self.checkpoint_path = checkpoint_path
        self.checkpoint_best_only = checkpoint_best_only
        self.tensorboard_log_dir = tensorboard_log_dir
        self.negative_slope = negative_slope
        self.input_batch_normalization = input_batch_normalization
        self.l1 = l1
        self.max_norm = max_norm
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.init_from = init_from
        self.precision = precision

    # ------------------------------------------------------------------ hooks
    # Estimators override these; the fit and prediction mixins call them.

    @property
    def _mixed_precision(self):
        """Whether the hidden layers compute in half precision (``precision``)."""
        return self.precision in MIXED_PRECISIONS

    @property
    def _dtype(self):
        """The precision training uses: ``dtype``, or with "auto" the input's
        (float32 stays float32, anything else trains in float64, as scikit-learn)."""
        default = (
            "float32" if self._mixed_precision and self.dtype == "auto" else self.dtype
        )
        return self.__dict__.get("_training_dtype", default)

    @abstractmethod
    def _encode_y(self, y, *, first_pass, classes=None):
        """Validate ``y`` and return the float target matrix; set target attributes."""

    @abstractmethod
    def _architecture(self):
        """``(builder name, keyword arguments)`` for ``_architectures.BUILDERS``."""

    @abstractmethod
    def _loss_name(self):
        """Key of ``_training.LOSSES`` used for training."""

    @abstractmethod
    def _task(self):
        """``"binary"``, ``"multiclass"``, ``"multilabel"`` or ``"regression"``."""

    def _loss_weights(self):
        """Weight of each model output's loss in the total (one output by default)."""
        return (1.0,)

    def _model_inputs(self, X):
        """Split validated ``X`` into the list of arrays the model takes."""
        return [X]

    def _check_fit_params(self, X):
        """Estimator-specific checks at fit time, after ``X`` is validated."""

    def _encode_batch(self, x, y, sample_weight):
        """One streamed batch as the network trains on it: ``(inputs, Y, w)``,
        validated as ``fit`` validates arrays (``w`` None when unweighted)."""
        x = validate_data(self, x, reset=False, dtype=np.dtype(self._dtype))
        Y = self._encode_y(y, first_pass=False, classes=getattr(self, "classes_", None))
        weighted = sample_weight is not None or self._weights_classes()
        if weighted:
            sample_weight = self._validate_sample_weight(sample_weight, x)
            sample_weight = self._combine_weights(sample_weight, y, incremental=True)
        inputs = self._model_inputs(x)
        return (
            inputs[0] if len(inputs) == 1 else tuple(inputs),
            Y,
            sample_weight.astype(self._dtype) if weighted else None,
        )

    def _weights_classes(self):
        """Whether ``_combine_weights`` weights the samples by their class."""
        return getattr(self, "class_weight", None) is not None

    def _self_normalisation_breaks(self):
        """Parts of the architecture that break SELU's self-normalisation."""
        return ()

    def _hidden_layer_sizes(self):
        from skdeep.neural_network._parameters import hidden_layer_sizes

        return hidden_layer_sizes(self.hidden_layer_sizes)

    def _kernel_initializer(self):
        from skdeep.neural_network._options import kernel_initializer

        return kernel_initializer(self)

    def _block_options(self):
        """The hidden blocks' options, as ``_architectures.dense_stack`` takes them."""
        from skdeep.neural_network._options import block_options

        return block_options(self)

    def _combine_weights(self, sample_weight, y, *, incremental):
        """Fold estimator-level weights (e.g. class weights) into ``sample_weight``."""
        return sample_weight

    # ------------------------------------------------------------------ pickling

    # The network pickles as its weights (and the NumPy pass's plan); a loaded
    # estimator builds the Keras network on first use (``_stored_network``).
    @property
    def model_(self):
        return _stored_network.network(self)

    @model_.setter
    def model_(self, model):
        _stored_network.set_network(self, model)

    @model_.deleter
    def model_(self):
        _stored_network.forget_network(self)

    def __getstate__(self):
        return _stored_network.pickled(self, super().__getstate__())

    def __setstate__(self, state):
        state = dict(state)
        weights = state.pop(_stored_network.WEIGHTS, None)
        plan = state.pop(_stored_network.PLAN, None)
        super().__setstate__(state)
        if weights is not None:
            _stored_network.restore(self, weights, plan)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags


def _is_column_vector(y):
    """Whether ``y`` has shape (n, 1); warns as scikit-learn does when it has."""
    if y.ndim == 2 and y.shape[1] == 1:
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please "
            "change the shape of y to (n_samples,), for example using ravel().",
            DataConversionWarning,
            stacklevel=5,
        )
        return True
    return False
