"""TabularMLPRegressor and TabularMLPClassifier: networks that are good by default on
tables (issue 25; the recipe of RealMLP, Holzmüller et al. 2024, "Better by Default").

``MLPRegressor`` and ``MLPClassifier`` keep scikit-learn's
defaults; the recipe lives here, each technique a parameter that switches it off.
"""

from numbers import Real

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.preprocessing import LabelEncoder
from sklearn.utils import check_array, column_or_1d
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets

from skdeep._bridge._targets import check_known_labels
from skdeep.neural_network._tabular_base import _TabularMLP

# the fitted attributes both estimators have (their docstrings' ``{attributes}``)
_ATTRIBUTES = """history_ : dict
        Keras' per-epoch logs (``loss``, and ``val_loss`` with held-out rows) of
        the run that picks the best epoch.
    loss_curve_ : list of float
        The training loss of each epoch of the network kept (with ``refit``, the
        network trained on every row).
    n_iter_ : int
        Epochs the network kept was trained for.
    best_iteration_ : int
        The epoch of lowest held-out loss (1-based): the checkpoint kept, or with
        ``refit`` the epochs the network kept was trained for; the last epoch
        without held-out rows.
    validation_loss_ : float or None
        The held-out loss of that epoch (None without held-out rows).
    device_ : str or list of str
        The device the network trained on (``"cpu:0"``, ``"gpu:1"`` ...), or the
        devices of a data-parallel fit.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names."""


def _recipe_docstring(task):
    regression = task == "regression"
    activation = "'mish'" if regression else "'selu'"
    max_iter = 32 if regression else 40
    keep_best = "False" if regression else "'auto'"
    return f"""
    hidden_layer_sizes : array-like of int, default=(128, 128, 128)
        Units of each hidden layer.
    activation : {{"mish", "selu", "relu"}}, default={activation}
        Activation of the hidden layers.
    learnable_mix : bool, default=True
        Each unit computes ``x + a * (f(x) - x)`` with a learned ``a`` (from 1):
        it can become linear. False: the plain activation.
    periodic_embedding : bool, default=True
        Embed each feature ``x`` as ``[x, linear(cos(2π (w x + b)))]`` with random
        frequencies ``w`` (PBLD embeddings).
    n_frequencies : int, default=16
        Frequencies per feature.
    embedding_dim : int, default=3
        Values the linear map gives per feature (besides the raw feature).
    frequency_scale : float, default=0.1
        Standard deviation of the frequencies.
    feature_scale : bool, default=True
        A learnable scale per network input, in front of the first layer.
    ntk : bool, default=True
        Neural-tangent-kernel parametrisation of the dense layers (weights from
        N(0, 1) divided by ``sqrt(fan_in)``). False: plain Dense layers.
    data_init : bool, default=True
        With ``ntk``: rescale each hidden unit to unit pre-activation spread on the
        training data and place its kink at a training row.
    parameter_groups : bool, default=True
        Learning-rate factors: 6 for the feature scales, 0.1 for the biases.
    robust_scaling : bool, default=True
        Centre each feature on its median and scale by its inter-quartile range.
        False: standard scaling (mean and standard deviation).
    smooth_clip : bool, default=True
        With ``robust_scaling``, squash outliers with ``z / sqrt(1 + (z/3)²)``.
    max_one_hot : int, default=8
        For a pandas DataFrame's categorical columns (``category``, ``object`` or
        string dtypes): one-hot encode those with at most this many categories, and
        learn an embedding for the larger ones (unknown or missing categories share
        an embedding of their own).
    categorical_embedding_dim : int, default=8
        Values of each learned category embedding.
    dropout : float, default=0.15
        Dropout rate after each hidden layer (times the regularization schedule).
    weight_decay : float, default=0.02
        Decoupled weight decay of the weight matrices (times the learning rate and
        the regularization schedule).
    regularization_schedule : {{"flat_cos", "constant"}}, default="flat_cos"
        Dropout and weight decay at full strength for the first half of training,
        then down to 0 on a half cosine; or constant.
    learning_rate : {{"coslog4", "cosine", "constant"}}, default="coslog4"
        Schedule of the learning rate over the training steps: ``coslog4`` has four
        cosine cycles that grow longer on a log scale.
    learning_rate_init : float, default={"0.2" if task == "regression" else "0.04"}
        Peak learning rate (large: the NTK parametrisation divides each layer's
        steps by the square root of its fan-in).
    beta_1, beta_2 : float, default=0.9, 0.95
        Adam's decay rates.
    epsilon : float, default=1e-8
        Adam's epsilon.
    max_iter : int, default={max_iter}
        Epochs.
    batch_size : int or "auto", default="auto"
        Rows per step. "auto": 256, or fewer on small tables so that an epoch has
        at least 8 steps, down to 32 rows (on the small ADBench tables one step per
        epoch left too few steps to train; ``benchmarks/tabular.py``).
    keep_best : "auto" or bool, default={keep_best}
        Keep the weights of the epoch with the lowest loss on a held-out
        ``validation_fraction`` of the training rows; "auto": from 500 rows. Off
        by default for the regressor: on California housing, training on every row
        beat holding rows out for the checkpoint (``benchmarks/tabular.py
        --ablation``).
    validation_fraction : float, default=0.2
        Held-out fraction with ``keep_best``.
    refit : bool, default=True
        With ``keep_best``: once the best epoch is known, train a new network on
        every training row, the held-out ones included, for that many epochs (of
        schedules as long as ``max_iter``'s), and keep it (pytabkit's
        ``n_refit=1``). Off: keep the checkpoint itself, which never saw the
        held-out rows.
    dtype : {{"float32", "float64"}}, default="float32"
        The network's dtype.
    device : str or list of str, default='auto'
        Where the network trains and predicts, as for ``MLPRegressor``: ``'auto'``
        (the first GPU the backend sees, else the CPU; in a worker of a parallel
        search, the worker's own GPU), ``'cpu'``, ``'gpu'``, ``'gpu:N'``, or a list
        of devices to train data-parallel over (predictions on the first).
    precision : {{"float32", "mixed_float16", "mixed_bfloat16"}} or None, default=None
        Keras dtype policy of the hidden blocks, for this estimator only: the mixed
        policies keep the weights in float32 and compute the hidden layers in half
        precision (the embeddings, the output layer and the loss stay float32;
        ``'mixed_float16'`` scales the loss). Needs ``dtype='float32'``.
    random_state : int, RandomState instance or None, default=None
        Seeds the weights, the held-out rows, the shuffles and the dropout.
    verbose : int, default=0
        Keras' progress output.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Keras callbacks, copied for each fit."""


class TabularMLPRegressor(RegressorMixin, _TabularMLP):
    """A network for tables that is good without tuning (the RealMLP recipe).

    Robust scaling with smooth clipping, periodic feature embeddings, learnable
    feature scales, the NTK parametrisation with data-dependent initialisation,
    Mish with a learnable mix, scheduled dropout and weight decay, Adam on a
    "coslog4" learning-rate schedule, standardised targets, predictions clipped to
    the training range, and the best epoch on held-out rows. Each technique is a
    parameter that switches it off.

    Parameters
    ----------{recipe}
    standardize_target : bool, default=True
        Train on ``(y - mean) / std`` (weighted by ``sample_weight``).
    clip_predictions : bool, default=True
        Clip predictions to the range of the training targets.

    Attributes
    ----------
    model_ : keras.Model
        The trained network.
    preprocessor_ : RobustSmoothScaler, StandardScaler or TabularColumns
        The fitted feature preprocessing (``TabularColumns`` for a DataFrame with
        categorical columns).
    {attributes}

    See Also
    --------
    MLPRegressor : scikit-learn's MLP with its defaults.

    Examples
    --------
    >>> from sklearn.datasets import load_diabetes
    >>> from skdeep.neural_network import TabularMLPRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> reg = TabularMLPRegressor(max_iter=8, random_state=0).fit(X[:300], y[:300])
    >>> reg.predict(X[300:303]).shape
    (3,)
    >>> bool(reg.predict(X).min() >= y[:300].min())  # clipped to the training range
    True
    """

    _parameter_constraints: dict = {
        **_TabularMLP._parameter_constraints,
        "standardize_target": ["boolean"],
        "clip_predictions": ["boolean"],
    }

    def __init__(
        self,
        hidden_layer_sizes=(128, 128, 128),
        *,
        activation="mish",
        learnable_mix=True,
        periodic_embedding=True,
        n_frequencies=16,
        embedding_dim=3,
        frequency_scale=0.1,
        feature_scale=True,
        ntk=True,
        data_init=True,
        parameter_groups=True,
        robust_scaling=True,
        smooth_clip=True,
        max_one_hot=8,
        categorical_embedding_dim=8,
        dropout=0.15,
        weight_decay=0.02,
        regularization_schedule="flat_cos",
        learning_rate="coslog4",
        learning_rate_init=0.2,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        max_iter=32,
        batch_size="auto",
        keep_best=False,
        validation_fraction=0.2,
        refit=True,
        standardize_target=True,
        clip_predictions=True,
        dtype="float32",
        device="auto",
        precision=None,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learnable_mix = learnable_mix
        self.periodic_embedding = periodic_embedding
        self.n_frequencies = n_frequencies
        self.embedding_dim = embedding_dim
        self.frequency_scale = frequency_scale
        self.feature_scale = feature_scale
        self.ntk = ntk
        self.data_init = data_init
        self.parameter_groups = parameter_groups
        self.robust_scaling = robust_scaling
        self.smooth_clip = smooth_clip
        self.max_one_hot = max_one_hot
        self.categorical_embedding_dim = categorical_embedding_dim
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.regularization_schedule = regularization_schedule
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.keep_best = keep_best
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.standardize_target = standardize_target
        self.clip_predictions = clip_predictions
        self.dtype = dtype
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, steps_per_epoch=None):
        """Train on ``X`` and ``y`` (1-D, or 2-D for several outputs).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), or a stream
            The training rows; or a ``tf.data.Dataset``, ``keras.utils.PyDataset``
            or generator of ``(x, y)`` / ``(x, y, sample_weight)`` batches, with
            ``y=None`` (the preprocessing is fitted on its first batches).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or None
            The targets (None with a stream).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows (a weight of 2 counts as a repeated row).
        steps_per_epoch : int, default=None
            With a stream: batches per epoch (needed where the stream does not say
            how many it holds, as a generator does not).

        Returns
        -------
        self : TabularMLPRegressor
        """
        return self._fit(X, y, sample_weight, steps_per_epoch=steps_per_epoch)

    _y_options = {"multi_output": True, "y_numeric": True}

    def _fit_targets(self, y, sample_weight, classes=None):
        Y = y.reshape(len(y), -1).astype(np.float64)
        self._y_1d = y.ndim == 1
        counted = Y[sample_weight > 0]
        self.target_range_ = (counted.min(axis=0), counted.max(axis=0))
        if self.standardize_target:
            mean = np.average(Y, axis=0, weights=sample_weight)
            std = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=sample_weight))
            self.target_scale_ = (mean, np.where(std > 0, std, 1.0))
        else:
            self.target_scale_ = (np.zeros(Y.shape[1]), np.ones(Y.shape[1]))
        return self._encode_targets(Y)

    def _check_stream_targets(self, y):
        return check_array(
            y, ensure_2d=False, dtype=np.float64, input_name="y of a batch"
        )

    def _encode_targets(self, y):
        Y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        return ((Y - self.target_scale_[0]) / self.target_scale_[1]).astype(self.dtype)

    def _loss(self):
        return "mean_squared_error", "linear"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True  # a 2-D y trains one output per column
        return tags

    def predict(self, X):
        """Predicted targets for ``X``."""
        out = self._network_outputs(X) * self.target_scale_[1] + self.target_scale_[0]
        if self.clip_predictions:
            out = np.clip(out, *self.target_range_)
        return out.ravel() if self._y_1d else out


class TabularMLPClassifier(ClassifierMixin, _TabularMLP):
    """A network for tables that is good without tuning (the RealMLP recipe).

    Robust scaling with smooth clipping, periodic feature embeddings, learnable
    feature scales, the NTK parametrisation with data-dependent initialisation,
    SELU with a learnable mix, scheduled dropout and weight decay, Adam on a
    "coslog4" learning-rate schedule, label smoothing, and the number of epochs
    picked on held-out rows, then trained on every row. Each technique is a
    parameter that switches it off.

    Parameters
    ----------{recipe}
    label_smoothing : float, default=0.1
        Keras' label smoothing of the one-hot targets in the cross-entropy.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    model_ : keras.Model
        The trained network (softmax outputs, one per class).
    preprocessor_ : RobustSmoothScaler, StandardScaler or TabularColumns
        The fitted feature preprocessing (``TabularColumns`` for a DataFrame with
        categorical columns).
    {attributes}

    See Also
    --------
    MLPClassifier : scikit-learn's MLP with its defaults.

    Examples
    --------
    >>> import pandas as pd
    >>> from skdeep.neural_network import TabularMLPClassifier
    >>> X = pd.DataFrame({{"size": [1.0, 2.0, 3.0, 4.0] * 10,
    ...                   "colour": ["red", "blue"] * 20}})  # one-hot encoded
    >>> y = (X["colour"] == "red").astype(int)
    >>> clf = TabularMLPClassifier(max_iter=10, random_state=0).fit(X, y)
    >>> clf.predict(X.head(2)).tolist()
    [1, 0]
    """

    _parameter_constraints: dict = {
        **_TabularMLP._parameter_constraints,
        "label_smoothing": [Interval(Real, 0, 1, closed="left")],
    }

    def __init__(
        self,
        hidden_layer_sizes=(128, 128, 128),
        *,
        activation="selu",
        learnable_mix=True,
        periodic_embedding=True,
        n_frequencies=16,
        embedding_dim=3,
        frequency_scale=0.1,
        feature_scale=True,
        ntk=True,
        data_init=True,
        parameter_groups=True,
        robust_scaling=True,
        smooth_clip=True,
        max_one_hot=8,
        categorical_embedding_dim=8,
        dropout=0.15,
        weight_decay=0.02,
        regularization_schedule="flat_cos",
        learning_rate="coslog4",
        learning_rate_init=0.04,
        beta_1=0.9,
        beta_2=0.95,
        epsilon=1e-8,
        max_iter=40,
        batch_size="auto",
        keep_best="auto",
        validation_fraction=0.2,
        refit=True,
        label_smoothing=0.1,
        dtype="float32",
        device="auto",
        precision=None,
        random_state=None,
        verbose=0,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.learnable_mix = learnable_mix
        self.periodic_embedding = periodic_embedding
        self.n_frequencies = n_frequencies
        self.embedding_dim = embedding_dim
        self.frequency_scale = frequency_scale
        self.feature_scale = feature_scale
        self.ntk = ntk
        self.data_init = data_init
        self.parameter_groups = parameter_groups
        self.robust_scaling = robust_scaling
        self.smooth_clip = smooth_clip
        self.max_one_hot = max_one_hot
        self.categorical_embedding_dim = categorical_embedding_dim
        self.dropout = dropout
        self.weight_decay = weight_decay
        self.regularization_schedule = regularization_schedule
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.max_iter = max_iter
        self.batch_size = batch_size
        self.keep_best = keep_best
        self.validation_fraction = validation_fraction
        self.refit = refit
        self.label_smoothing = label_smoothing
        self.dtype = dtype
        self.device = device
        self.precision = precision
        self.random_state = random_state
        self.verbose = verbose
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, classes=None, steps_per_epoch=None):
        """Train on ``X`` and the class labels ``y``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features), or a stream
            The training rows; or a ``tf.data.Dataset``, ``keras.utils.PyDataset``
            or generator of ``(x, y)`` / ``(x, y, sample_weight)`` batches, with
            ``y=None`` and ``classes`` (the preprocessing is fitted on its first
            batches).
        y : array-like of shape (n_samples,), or None
            The class labels (None with a stream).
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the rows (a weight of 2 counts as a repeated row).
        classes : array-like, default=None
            With a stream: every class label the batches may hold.
        steps_per_epoch : int, default=None
            With a stream: batches per epoch (needed where the stream does not say
            how many it holds, as a generator does not).

        Returns
        -------
        self : TabularMLPClassifier
        """
        return self._fit(
            X, y, sample_weight, classes=classes, steps_per_epoch=steps_per_epoch
        )

    _y_options = {}

    def _fit_targets(self, y, sample_weight, classes=None):
        if classes is None:
            check_classification_targets(y)
            self.classes_ = LabelEncoder().fit(y).classes_
        else:
            self.classes_ = np.unique(np.asarray(classes))
        if len(self.classes_) < 2:
            raise ValueError(
                "The number of classes has to be greater than one; got "
                f"{len(self.classes_)} class"
            )
        return self._encode_targets(y)

    def _check_stream_targets(self, y):
        if y is None:
            raise ValueError("Each batch of a streamed X must hold its labels y.")
        return column_or_1d(np.asarray(y))

    def _encode_targets(self, y):
        check_known_labels(
            y,
            self.classes_,
            indicator=False,
            context=f"{type(self).__name__}.fit (pass every label in classes=[...])",
        )
        codes = np.searchsorted(self.classes_, y)
        return np.eye(len(self.classes_), dtype=self.dtype)[codes]

    def _loss(self):
        import keras

        loss = keras.losses.CategoricalCrossentropy(
            label_smoothing=self.label_smoothing
        )
        return loss, "softmax"

    def predict_proba(self, X):
        """Class probabilities for ``X``, columns in the order of ``classes_``."""
        proba = self._network_outputs(X)
        return proba / proba.sum(axis=1, keepdims=True)

    def predict(self, X):
        """Predicted class labels for ``X``."""
        proba = self.predict_proba(X)  # checks that the estimator is fitted
        return self.classes_[np.argmax(proba, axis=1)]


TabularMLPRegressor.__doc__ = TabularMLPRegressor.__doc__.format(
    recipe=_recipe_docstring("regression"), attributes=_ATTRIBUTES
)
TabularMLPClassifier.__doc__ = TabularMLPClassifier.__doc__.format(
    recipe=_recipe_docstring("classification"), attributes=_ATTRIBUTES
)
