"""WideDeepRegressor: the Wide & Deep network (Cheng et al., 2016) as a regressor."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from skdeep.neural_network._base import _BaseKerasEstimator
from skdeep.neural_network._docstrings import (
    FITTED_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
)
from skdeep.neural_network._parameters import WIDE_DEEP_CONSTRAINTS
from skdeep.neural_network._regression import _RegressorHooks
from skdeep.utils._columns import column_positions

_HIDDEN_LAYER_SIZES_DOC = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(30, 30)
        Sizes of the dense layers of the deep path (``deep_1``, ``deep_2``...). An
        empty tuple connects the deep features straight to the output too.

"""


class WideDeepRegressor(RegressorMixin, _RegressorHooks, _BaseKerasEstimator):
    """Wide & Deep neural network regressor trained with Keras.

    The Wide & Deep architecture (Cheng et al., 2016) sends the ``wide_features``
    straight to the output layer (a short path that learns simple rules) and the
    ``deep_features`` through a stack of dense layers (which learns deep patterns);
    the two paths are concatenated before the output. With the default selections
    every feature takes both paths and the network has one input; two different
    selections give a network with two inputs, ``wide_input`` and ``deep_input``.
    An optional auxiliary output on top of the deep stack, trained on the same
    target, regularises the deep path.

    Training is the same as :class:`MLPRegressor`'s, with the same parameters.

    Parameters
    ----------
    {training_parameters}
    wide_features : None, slice, array-like of int, bool or str, default=None
        Columns of X that take the wide path: None (all), a slice, a boolean mask,
        integer positions, or column names when X is a DataFrame (checked against
        ``feature_names_in_``). May overlap with ``deep_features``.

    deep_features : None, slice, array-like of int, bool or str, default=None
        Columns of X that take the deep path, selected as ``wide_features``.

    auxiliary_output : bool, default=False
        Add a second output, ``auxiliary_output``, on top of the deep stack, trained
        on the same target. :meth:`predict` returns the main output and
        :meth:`predict_auxiliary` the auxiliary one.

    auxiliary_weight : float, default=0.1
        Weight of the auxiliary output's loss in the training loss, in (0, 1); the
        main output's loss weighs ``1 - auxiliary_weight``. Unused without
        ``auxiliary_output``.

    loss : {{'squared_error', 'absolute_error', 'huber', 'poisson'}}, \
default='squared_error'
        Training loss, as in :class:`MLPRegressor`.

    output_activation : {{None, 'relu', 'softplus', 'sigmoid', 'tanh'}}, \
default=None
        Activation of the output layer(s), as in :class:`MLPRegressor`.

    Attributes
    ----------
    wide_features_idx_ : ndarray of shape (n_wide_features,)
        Positions in X of the columns that take the wide path.

    deep_features_idx_ : ndarray of shape (n_deep_features,)
        Positions in X of the columns that take the deep path.

    {fitted_attributes}
    See Also
    --------
    MLPRegressor : Multi-layer perceptron regressor (the deep path alone).

    Notes
    -----
    With ``auxiliary_output=True``, ``loss_`` and ``loss_curve_`` hold the weighted
    total and ``history_`` also records each output's unweighted loss per epoch:
    ``history_["loss_output_0"]`` for the main output and
    ``history_["loss_output_1"]`` for the auxiliary one.

    Layer names: ``input`` (or ``wide_input`` and ``deep_input``), ``deep_1``,
    ``deep_2``..., ``wide_deep_concat``, ``output`` and ``auxiliary_output``, so
    ``model_.summary()`` and ``keras.utils.plot_model(model_)`` show both paths.

    References
    ----------
    Cheng, H.-T. et al. (2016). Wide & Deep Learning for Recommender Systems.
    Proceedings of the 1st Workshop on Deep Learning for Recommender Systems, 7-10.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.neural_network import WideDeepRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(300, 4))
    >>> y = X[:, 0] - 2 * X[:, 1] + np.sin(3 * X[:, 2]) * X[:, 3]
    >>> reg = WideDeepRegressor(hidden_layer_sizes=(16, 16), wide_features=[0, 1],
    ...                         deep_features=[2, 3], learning_rate_init=0.01,
    ...                         max_iter=200, random_state=0).fit(X, y)
    >>> [t.name for t in reg.model_.inputs]
    ['wide_input', 'deep_input']
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> reg.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = WIDE_DEEP_CONSTRAINTS

    def __init__(
        self,
        hidden_layer_sizes=(30, 30),
        activation="relu",
        *,
        wide_features=None,
        deep_features=None,
        auxiliary_output=False,
        auxiliary_weight=0.1,
        loss="squared_error",
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        kernel_initializer="auto",
        batch_normalization=False,
        dropout=0.0,
        device="auto",
        dtype="auto",
        precision=None,
        engine="auto",
        negative_slope=0.2,
        input_batch_normalization=False,
        l1=0.0,
        max_norm=None,
        clipnorm=None,
        clipvalue=None,
        init_from=None,
        output_activation=None,
        rho=0.9,
        weight_decay=0.004,
        decay_rate=0.1,
        decay_steps=None,
        piecewise_boundaries=None,
        piecewise_values=None,
        reduce_factor=0.2,
        max_learning_rate=None,
        callbacks=None,
        checkpoint_path=None,
        checkpoint_best_only=False,
        tensorboard_log_dir=None,
    ):
        super().__init__(
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            solver=solver,
            alpha=alpha,
            batch_size=batch_size,
            learning_rate=learning_rate,
            learning_rate_init=learning_rate_init,
            power_t=power_t,
            max_iter=max_iter,
            shuffle=shuffle,
            random_state=random_state,
            tol=tol,
            verbose=verbose,
            warm_start=warm_start,
            momentum=momentum,
            nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            n_iter_no_change=n_iter_no_change,
            max_fun=max_fun,
            kernel_initializer=kernel_initializer,
            batch_normalization=batch_normalization,
            dropout=dropout,
            device=device,
            dtype=dtype,
            precision=precision,
            engine=engine,
            rho=rho,
            weight_decay=weight_decay,
            decay_rate=decay_rate,
            decay_steps=decay_steps,
            piecewise_boundaries=piecewise_boundaries,
            piecewise_values=piecewise_values,
            reduce_factor=reduce_factor,
            max_learning_rate=max_learning_rate,
            callbacks=callbacks,
            checkpoint_path=checkpoint_path,
            checkpoint_best_only=checkpoint_best_only,
            tensorboard_log_dir=tensorboard_log_dir,
            negative_slope=negative_slope,
            input_batch_normalization=input_batch_normalization,
            l1=l1,
            max_norm=max_norm,
            clipnorm=clipnorm,
            clipvalue=clipvalue,
            init_from=init_from,
        )
        self.wide_features = wide_features
        self.deep_features = deep_features
        self.auxiliary_output = auxiliary_output
        self.auxiliary_weight = auxiliary_weight
        self.loss = loss
        self.output_activation = output_activation

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, steps_per_epoch=None):
        """Fit the network to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features) or stream
            Training data. Sparse input is rejected with a TypeError. For data
            larger than memory, a ``tf.data.Dataset``, a ``keras.utils.PyDataset``
            or a generator of ``(x, y)`` or ``(x, y, sample_weight)`` batches,
            with ``y=None``: trained on the Keras engine, one pass over the
            batches per epoch (a PyDataset's batches shuffled with ``shuffle``;
            a generator's and a tf.data pipeline's order is their own). Not with
            ``early_stopping``; cross-validation and searches need arrays. See the
            user guide's "Scaling out" page.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        steps_per_epoch : int, default=None
            Streamed X only: train each epoch on this many batches. A generator
            cannot restart, so without it one epoch reads the whole generator and
            training ends when it runs out; with it, an endless generator trains
            ``max_iter`` epochs.

        Returns
        -------
        self : WideDeepRegressor
            The fitted estimator.
        """
        self._fit(X, y, sample_weight, steps_per_epoch=steps_per_epoch)
        self._set_feature_attributes()
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train the network for one epoch over ``X, y``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : WideDeepRegressor
            The trained estimator.
        """
        self._fit(X, y, sample_weight, incremental=True)
        self._set_feature_attributes()
        return self

    def predict(self, X, mc_samples=None, return_std=False):
        """Predict with the main output of the network.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input samples.

        mc_samples : int, default=None
            Average this many predictions made with dropout active and batch
            normalisation in inference mode (Monte Carlo dropout); needs a network
            fitted with ``dropout > 0``. Seeded by ``random_state``.

        return_std : bool, default=False
            Also return the standard deviation of the ``mc_samples`` predictions
            (needs ``mc_samples``), as scikit-learn's regressors that estimate
            uncertainty do.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values (1-D when there is one target).

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Standard deviation of the MC-dropout predictions; only with
            ``return_std=True``.
        """
        self._fitted_predictor()  # NotFittedError first
        output = 0 if self._fitted_auxiliary() else None
        return self._predict_output(X, mc_samples, return_std, output)

    def predict_auxiliary(self, X):
        """Predict with the auxiliary output on top of the deep stack.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            The input samples.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Predictions of the auxiliary output (1-D when there is one target).
        """
        check_is_fitted(self)
        if not self._fitted_auxiliary():
            raise ValueError(
                "This WideDeepRegressor was fitted without an auxiliary output; fit "
                "it with auxiliary_output=True to use predict_auxiliary."
            )
        return self._as_prediction(self._forward(X)[1])

    # -------------------------------------------------------------- bridge hooks

    def _feature_indices(self):
        """Resolve ``wide_features`` and ``deep_features`` against the fitted X."""
        names = getattr(self, "feature_names_in_", None)
        return tuple(
            column_positions(selection, self.n_features_in_, names, param=param)
            for selection, param in (
                (self.wide_features, "wide_features"),
                (self.deep_features, "deep_features"),
            )
        )

    def _check_fit_params(self, X):
        super()._check_fit_params(X)
        self._feature_indices()

    def _architecture(self):
        wide, deep = self._feature_indices()
        return (
            "wide_deep",
            {
                "n_features": self.n_features_in_,
                "n_outputs": self.n_outputs_,
                "wide_features": tuple(int(i) for i in wide),
                "deep_features": tuple(int(i) for i in deep),
                "hidden_layer_sizes": self._hidden_layer_sizes(),
                "output_activation": self._output_activation(),
                "auxiliary_output": bool(self.auxiliary_output),
                **self._block_options(),
                "dtype": self._dtype,
            },
        )

    def _self_normalisation_breaks(self):
        return ("the wide path's concatenation with the deep path",)

    def _loss_weights(self):
        if self.auxiliary_output:
            weight = float(self.auxiliary_weight)
            return (1.0 - weight, weight)
        return (1.0,)

    def _model_inputs(self, X):
        # The fitted network's selections (not the parameters, which may have been
        # changed since): one input when both paths take the same columns.
        spec = self._model_spec_[1]
        wide, deep = spec["wide_features"], spec["deep_features"]
        if wide == deep:
            if wide == tuple(range(X.shape[1])):
                return [X]
            return [X[:, list(wide)]]
        return [X[:, list(wide)], X[:, list(deep)]]

    def _fitted_auxiliary(self):
        return self._model_spec_[1]["auxiliary_output"]

    def _set_feature_attributes(self):
        spec = self._model_spec_[1]
        self.wide_features_idx_ = np.asarray(spec["wide_features"], dtype=np.intp)
        self.deep_features_idx_ = np.asarray(spec["deep_features"], dtype=np.intp)


def _training_parameters_doc():
    doc = TRAINING_PARAMETERS_DOC
    start = doc.index("    activation :")
    return _HIDDEN_LAYER_SIZES_DOC.lstrip() + doc[start:]


WideDeepRegressor.__doc__ = WideDeepRegressor.__doc__.format(
    training_parameters=_training_parameters_doc(),
    fitted_attributes=FITTED_ATTRIBUTES_DOC.lstrip(),
)
