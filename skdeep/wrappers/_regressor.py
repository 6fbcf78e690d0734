"""KerasRegressor: a scikit-learn regressor around any Keras model."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep._bridge._targets import RegressorTarget
from skdeep.wrappers._base import BaseWrapper


class KerasRegressor(RegressorMixin, BaseWrapper):
    """A scikit-learn regressor that trains a Keras model (scikeras-compatible).

    The parameters are KerasClassifier's (see there) without ``class_weight``; the
    default ``loss=None`` means mean squared error. ``score`` is R², scikit-learn's
    convention (the old ``keras.wrappers.scikit_learn`` returned the negative loss).

    Parameters
    ----------
    model : callable or keras.Model, default=None
        A build function returning a ``keras.Model``, or a ``keras.Model`` used as
        given (every fit trains a faithful copy of it: weights, frozen flags,
        compiled loss and optimizer).
    warm_start : bool, default=False
        Whether ``fit`` continues training the fitted model.
    random_state : int, RandomState instance or None, default=None
        Seeds initialisation, dropout and shuffling; no global seed is left changed.
    optimizer : str, class or keras.optimizers.Optimizer, default="rmsprop"
        Used when the model is not compiled (``optimizer__name`` routed).
    loss : str, class, keras.losses.Loss, callable or None, default=None
        Used when the model is not compiled; None means ``"mse"``.
    metrics : list or None, default=None
        Keras metrics, reported per epoch in ``history_``.
    batch_size : int or None, default=None
        Minibatch size (None: 32).
    validation_batch_size : int or None, default=None
        Batch size for validation.
    verbose : {0, 1, 2}, default=0
        0 silent; 1 a progress bar per epoch; 2 one line per epoch.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Copied for every fit.
    validation_split : float, default=0.0
        Fraction of the training data held out for ``val_*`` figures.
    shuffle : bool, default=True
        Shuffle the training samples before every epoch.
    run_eagerly : bool, default=False
        Run the model eagerly (debugging).
    epochs : int or "auto", default="auto"
        Passes over the training data per ``fit``. An int is Keras' meaning: exactly
        that many epochs (fewer only if a callback stops training). ``"auto"`` trains
        as scikit-learn's MLP does by default: at most 200 epochs, stopping once the
        training loss has not improved by 1e-4 for 10 epochs. (scikeras's default
        is 1 epoch, which cannot fit even a small problem.) ``partial_fit`` always
        trains one epoch.
    jit_compile : bool or "auto", default="auto"
        Passed to ``model.compile``.
    device : str or list of str, default="auto"
        Where the model trains and predicts (TensorFlow and JAX backends):
        ``"auto"`` (the first GPU, else the CPU; in a worker process of a parallel
        search, the worker's own GPU, round-robin), ``"cpu"``, ``"gpu"``,
        ``"gpu:N"``, or a list such as ``["gpu:0", "gpu:1"]`` for data-parallel
        training (``batch_size`` is then the global batch). See the GPU guide.
    precision : {"float32", "mixed_float16", "mixed_bfloat16"} or None, \
            default=None
        The Keras dtype policy the model is built under, for this estimator only;
        None keeps the model's own (Keras' global policy). Predictions are float32.
    input_features : list or dict or None, default=None
        For a model with several inputs: the columns of X each input takes (see
        KerasClassifier).
    **kwargs
        Build-function arguments and routed parameters.

    Attributes
    ----------
    model_ : keras.Model
        The trained Keras model.
    history_ : dict of lists
        Keras' per-epoch logs.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    n_outputs_expected_ : int
        Output units the model must have.
    current_epoch_ : int
        Epochs trained so far.
    device_ : str or list of str
        The device(s) the model was trained on (``"cpu:0"``, ``"gpu:1"`` ...).

    See Also
    --------
    KerasClassifier : the same for classification.

    Examples
    --------
    >>> import keras
    >>> from sklearn.datasets import make_regression
    >>> from skdeep.wrappers import KerasRegressor
    >>> def build_model(n_hidden=1, n_neurons=30, learning_rate=3e-3, input_shape=[8]):
    ...     model = keras.Sequential([keras.Input(input_shape)])
    ...     for _ in range(n_hidden):
    ...         model.add(keras.layers.Dense(n_neurons, activation="relu"))
    ...     model.add(keras.layers.Dense(1))
    ...     model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate))
    ...     return model
    >>> X, y = make_regression(n_samples=200, n_features=8, noise=1, random_state=0)
    >>> reg = KerasRegressor(build_model, epochs=20, random_state=0)
    >>> reg = reg.set_params(n_hidden=2, learning_rate=0.01).fit(X, y / 100)
    >>> reg.predict(X[:2]).shape
    (2,)
    """

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, sample_weight=None, **kwargs):
        """Train one epoch on ``(X, y)``, building the model at the first call."""
        kwargs.setdefault("epochs", 1)
        return self._fit(X, y, sample_weight, kwargs, reset=not hasattr(self, "model_"))

    def predict(self, X, outputs="main", mc_samples=None, return_std=False, **kwargs):
        """Predicted values, shape (n_samples,) or (n_samples, n_outputs).

        A model with several outputs predicts its main (first) output;
        ``outputs="all"`` returns a list with every output's predictions.

        ``mc_samples=N`` averages N predictions made in training mode (Monte Carlo
        dropout: dropout layers stay active; batch normalization then uses the
        batch's statistics), drawn from ``random_state`` (an int gives the same
        draws at every call; the model and Keras' global state stay unchanged).
        ``return_std=True`` also returns the draws' standard deviation.
        """
        check_is_fitted(self, "model_")
        if return_std and mc_samples is None:
            raise ValueError("return_std=True needs mc_samples (the draws' spread).")
        targets = self._all_targets() if outputs == "all" else [self.target_]
        raws = self._raw_predict(X, all_outputs=True, mc_samples=mc_samples, **kwargs)[
            : len(targets)
        ]
        results = []
        for target, raw in zip(targets, raws):
            if mc_samples is None:
                results.append(target.decode(raw))
                continue
            draws = np.stack([target.decode(draw) for draw in raw])
            mean = draws.mean(axis=0)
            results.append((mean, draws.std(axis=0)) if return_std else mean)
        return results if outputs == "all" else results[0]

    @staticmethod
    def _target_class():
        return RegressorTarget

    def _default_loss(self, width):
        return "mse"

    def _validate_y(self, y):
        return validate_data(self, y=y, multi_output=True, y_numeric=True, reset=False)

    def _validate_training_data(self, X, y, *, reset):
        return validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype="numeric",
            allow_nd=True,
            multi_output=True,
            y_numeric=True,
        )

    def _make_target(self, y):
        return RegressorTarget(y)

    def _check_labels(self, y):
        if (1 if y.ndim == 1 else y.shape[1]) != self.target_.n_outputs_expected:
            raise ValueError(
                f"y has {1 if y.ndim == 1 else y.shape[1]} outputs; the model was "
                f"fitted with {self.target_.n_outputs_expected}."
            )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
