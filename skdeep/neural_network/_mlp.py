"""MLPClassifier and MLPRegressor: drop-in replacements for scikit-learn's MLPs."""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils.multiclass import _check_partial_fit_first_call

from skdeep.neural_network._base import _BaseKerasEstimator
from skdeep.neural_network._classification import _ClassifierHooks
from skdeep.neural_network._docstrings import (
    FITTED_ATTRIBUTES_DOC,
    TRAINING_PARAMETERS_DOC,
)
from skdeep.neural_network._parameters import (
    MLP_CLASSIFIER_CONSTRAINTS,
    MLP_REGRESSOR_CONSTRAINTS,
)
from skdeep.neural_network._regression import _RegressorHooks


class _MLPMixin:
    """What the two MLPs share beyond the bridge: the architecture they build."""

    def _output_activation(self):
        raise NotImplementedError

    def _architecture(self):
        return (
            "mlp",
            {
                "n_features": self.n_features_in_,
                "n_outputs": self.n_outputs_,
                "hidden_layer_sizes": self._hidden_layer_sizes(),
                "output_activation": self._output_activation(),
                **self._block_options(),
                "dtype": self._dtype,
            },
        )


class MLPClassifier(ClassifierMixin, _ClassifierHooks, _MLPMixin, _BaseKerasEstimator):
    """Multi-layer perceptron classifier trained with Keras.

    Accepts every parameter of :class:`sklearn.neural_network.MLPClassifier` with
    the same name, default and meaning (except that ``solver='lbfgs'`` raises), plus
    Keras extras: more solvers and activations, initializers, batch normalisation,
    dropout, class weights and a device.

    Parameters
    ----------
    {training_parameters}
    class_weight : dict, 'balanced' or None, default=None
        Weights of the classes, multiplied into ``sample_weight``. ``'balanced'``
        uses ``n_samples / (n_classes * np.bincount(y))``. Not for multilabel
        targets.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels (``arange(n_labels)`` for multilabel targets).

    {fitted_attributes}
    See Also
    --------
    sklearn.neural_network.MLPClassifier : The NumPy implementation this mirrors.
    MLPRegressor : Multi-layer perceptron regressor.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdeep.neural_network import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
    ...                     max_iter=300, random_state=0).fit(X, y)
    >>> clf.predict(X[:3])
    array([0, 0, 0])
    >>> clf.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = MLP_CLASSIFIER_CONSTRAINTS

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        class_weight=None,
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
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, classes=None, steps_per_epoch=None):
        """Fit the network to data matrix X and target(s) y.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features) or stream
            Training data. Sparse input is rejected with a TypeError. For data
            larger than memory, a ``tf.data.Dataset``, a ``keras.utils.PyDataset``
            or a generator of ``(x, y)`` or ``(x, y, sample_weight)`` batches,
            with ``y=None``: trained on the Keras engine, one pass over the
            batches per epoch (a PyDataset's batches shuffled with ``shuffle``;
            a generator's and a tf.data pipeline's order is their own). Not with
            ``early_stopping``; cross-validation and searches need arrays. See the
            user guide's "Scaling out" page.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a binary indicator matrix for multilabel problems.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        classes : array-like of shape (n_classes,), default=None
            Streamed X only, and required there: every class the batches hold
            (for multilabel batches, ``range(n_labels)``), as in ``partial_fit``.

        steps_per_epoch : int, default=None
            Streamed X only: train each epoch on this many batches. A generator
            cannot restart, so without it one epoch reads the whole generator and
            training ends when it runs out; with it, an endless generator trains
            ``max_iter`` epochs.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        return self._fit(
            X, y, sample_weight, classes=classes, steps_per_epoch=steps_per_epoch
        )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train the network for one epoch over ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        classes : array-like of shape (n_classes,), default=None
            Every class that any call will see; required on the first call.

        Returns
        -------
        self : MLPClassifier
            The trained estimator.
        """
        _check_partial_fit_first_call(self, classes)
        return self._fit(X, y, sample_weight, incremental=True, classes=self.classes_)

    def predict(self, X, mc_samples=None):
        """Predict class labels (an indicator matrix for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        mc_samples : int, default=None
            Average this many predictions made with dropout active and batch
            normalisation in inference mode (Monte Carlo dropout); needs a network
            fitted with ``dropout > 0``. Seeded by ``random_state``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels.
        """
        if mc_samples is not None:
            return self._target.decode(self._mc_outputs(X, mc_samples)[0].mean(0))
        # the predictor decides (the NumPy pass on the logits, without the
        # exponentials): the labels decoding the probabilities would give
        decisions = self._forward(X, labels=True)  # NotFittedError first
        return self._target.decode_decisions(decisions)

    def predict_proba(self, X, mc_samples=None, return_std=False):
        """Probability of each class (of each label for multilabel targets).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        mc_samples : int, default=None
            Average this many predictions made with dropout active and batch
            normalisation in inference mode (Monte Carlo dropout); needs a network
            fitted with ``dropout > 0``. Seeded by ``random_state``.

        return_std : bool, default=False
            Also return the standard deviation of each class's probability over the
            ``mc_samples`` passes (needs ``mc_samples``): the model's uncertainty,
            as the regressors' ``predict(X, mc_samples, return_std=True)``.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.

        proba_std : ndarray of shape (n_samples, n_classes)
            Standard deviation of each probability over the MC-dropout passes;
            only with ``return_std=True``.
        """
        if mc_samples is None:
            if return_std:
                raise ValueError(
                    "return_std=True needs mc_samples: the standard deviation is "
                    "that of mc_samples predictions with dropout active (MC dropout)."
                )
            raw = self._forward(X)  # NotFittedError first
            return self._target.proba(raw)
        samples = self._mc_outputs(X, mc_samples)[0]
        proba = self._target.proba(samples.mean(0))
        if not return_std:
            return proba
        std = samples.std(0)
        if self._target.task == "binary":  # one unit: both columns vary as much
            std = np.column_stack([std[:, 0], std[:, 0]])
        return proba, std

    def predict_log_proba(self, X, mc_samples=None):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input samples.

        mc_samples : int, default=None
            Average this many predictions made with dropout active and batch
            normalisation in inference mode (Monte Carlo dropout); needs a network
            fitted with ``dropout > 0``. Seeded by ``random_state``.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X, mc_samples=mc_samples))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags


class MLPRegressor(RegressorMixin, _RegressorHooks, _MLPMixin, _BaseKerasEstimator):
    """Multi-layer perceptron regressor trained with Keras.

    Accepts every parameter of :class:`sklearn.neural_network.MLPRegressor` with the
    same name, default and meaning (except that ``solver='lbfgs'`` raises), plus
    Keras extras: more losses, solvers and activations, an output activation,
    initializers, batch normalisation, dropout and a device.

    Parameters
    ----------
    loss : {{'squared_error', 'absolute_error', 'huber', 'poisson'}}, \
default='squared_error'
        Training loss. 'squared_error' and 'poisson' follow scikit-learn (half
        squared error; Poisson deviance with an exponential output); 'huber' uses
        delta=1.

    {training_parameters}
    output_activation : {{None, 'relu', 'softplus', 'sigmoid', 'tanh'}}, \
default=None
        Activation of the output layer; None is the identity (the exponential for
        ``loss='poisson'``). Use 'relu' or 'softplus' for non-negative targets.

    Attributes
    ----------
    {fitted_attributes}
    See Also
    --------
    sklearn.neural_network.MLPRegressor : The NumPy implementation this mirrors.
    MLPClassifier : Multi-layer perceptron classifier.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.neural_network import MLPRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 2))
    >>> y = X[:, 0] - 2 * X[:, 1]
    >>> reg = MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01,
    ...                    max_iter=200, random_state=0).fit(X, y)
    >>> reg.predict(X[:2]).shape
    (2,)
    >>> reg.score(X, y) > 0.9
    True
    """

    _parameter_constraints: dict = MLP_REGRESSOR_CONSTRAINTS

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
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
        self.loss = loss
        self.output_activation = output_activation

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, *, steps_per_epoch=None):
        """Fit the network to data matrix X and target(s) y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or stream
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
        self : MLPRegressor
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, steps_per_epoch=steps_per_epoch)

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train the network for one epoch over ``X, y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.

        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of the samples.

        Returns
        -------
        self : MLPRegressor
            The trained estimator.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X, mc_samples=None, return_std=False):
        """Predict with the network.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
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
            Predicted values (1-D when the network has one output).

        y_std : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Standard deviation of the MC-dropout predictions; only with
            ``return_std=True``.
        """
        return self._predict_output(X, mc_samples, return_std)


for _cls in (MLPClassifier, MLPRegressor):
    _cls.__doc__ = _cls.__doc__.format(
        training_parameters=TRAINING_PARAMETERS_DOC.lstrip(),
        fitted_attributes=FITTED_ATTRIBUTES_DOC.lstrip(),
    )
del _cls
