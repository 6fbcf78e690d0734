"""MLPClassifier and MLPRegressor: drop-in replacements for scikit-learn's MLPs."""

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import _check_partial_fit_first_call, unique_labels

from skdeep._bridge._targets import BuiltinClassifierTarget
from skdeep.neural_network._base import _BaseKerasEstimator, _is_column_vector
from skdeep.neural_network._regression import (
    REGRESSION_PARAMETER_CONSTRAINTS,
    _RegressorHooks,
)

TRAINING_PARAMETERS_DOC = """\
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The ith element is the number of neurons in the ith hidden layer. An empty
        tuple gives a network without hidden layer (a linear model).

    activation : {'identity', 'logistic', 'tanh', 'relu', 'elu', 'selu', \
'leaky_relu', 'prelu', 'gelu', 'swish'}, default='relu'
        Activation of the hidden layers. The first four are scikit-learn's; the
        others come from Keras. ``'leaky_relu'`` has the slope ``negative_slope``;
        ``'prelu'`` learns one slope per neuron (a PReLU layer). ``'selu'`` gives
        the self-normalising network of Klambauer et al. (2017): LeCun normal
        initialisation with ``kernel_initializer='auto'`` and AlphaDropout
        wherever ``dropout`` asks for dropout; it needs standardised inputs, and
        a warning says when the configuration breaks self-normalisation (batch
        normalisation, another initializer, the Wide & Deep concatenation).

    solver : {'adam', 'sgd', 'nadam', 'rmsprop', 'adagrad', 'adamax', 'adamw'} \
or keras.optimizers.Optimizer, default='adam'
        The update rule, with Keras' formulas: 'sgd' uses ``momentum`` and
        ``nesterovs_momentum``, 'rmsprop' ``rho``, 'adamw' ``weight_decay``, the
        Adam family ``beta_1``, ``beta_2`` and ``epsilon``. A Keras optimizer
        instance is copied at each fit (the instance itself is never built or
        changed) and trains on the Keras engine; its float learning rate replaces
        ``learning_rate_init``, and a ``LearningRateSchedule`` of its own needs
        ``learning_rate='constant'``. ``'lbfgs'`` is accepted by the constructor for
        drop-in compatibility but raises a ValueError at fit: use scikit-learn's MLP.

    alpha : float, default=0.0001
        Strength of the L2 penalty on the kernels, with scikit-learn's scaling
        (``0.5 * alpha * ||W||² / batch weight``).

    batch_size : int or 'auto', default='auto'
        Minibatch size; ``'auto'`` is ``min(200, n_samples)``.

    learning_rate : {'constant', 'invscaling', 'power', 'exponential', \
'piecewise', 'adaptive', '1cycle'}, default='constant'
        Learning-rate schedule, for every solver (scikit-learn applies its three to
        'sgd' only):

        - 'constant': ``learning_rate_init`` throughout;
        - 'invscaling' (power scheduling, scikit-learn's): ``learning_rate_init /
          (t + 1) ** power_t`` with ``t`` the samples seen, updated each epoch;
        - 'power' (power scheduling, Hands-On ML's): ``learning_rate_init / (1 +
          step / decay_steps) ** power_t`` (the book's ``s`` and ``c``), updated
          at each minibatch step;
        - 'exponential': ``learning_rate_init * decay_rate ** (step /
          decay_steps)``, updated at each minibatch step;
        - 'piecewise': ``piecewise_values[i]`` from epoch
          ``piecewise_boundaries[i - 1]`` on;
        - 'adaptive' (performance scheduling): multiplied by ``reduce_factor``
          whenever ``n_iter_no_change`` epochs pass without ``tol`` improvement of
          the validation score (``early_stopping=True``) or of the training loss;
          training stops once the rate is below 1e-6 and progress stalls again;
        - '1cycle' (Smith 2018), per step: up from ``learning_rate_init`` to
          ``max_learning_rate`` over the first 45 % of the ``max_iter`` epochs'
          steps, down again over the next 45 %, then down to ``learning_rate_init
          / 1000`` over the last 10 %; with 'sgd' (on the NumPy engine) the
          momentum moves inversely, from ``momentum`` down to ``momentum - 0.1``
          and back.

        The mean rate of each epoch's steps is recorded in
        ``history_['learning_rate']``.

    learning_rate_init : float, default=0.001
        Initial learning rate.

    power_t : float, default=0.5
        Exponent of the 'invscaling' and 'power' schedules.

    max_iter : int, default=200
        Maximum number of epochs.

    shuffle : bool, default=True
        Whether to shuffle the samples at each epoch.

    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the early-stopping split.
        An int gives identical results on every fit. No global seed is ever set.

    tol : float, default=1e-4
        Improvement below which an epoch counts as no improvement.

    verbose : bool or int, default=False
        0 or False: silent. 1: a Keras progress bar per epoch with the loss,
        validation figures and learning rate. 2 or True: one line per epoch with
        the same figures.

    warm_start : bool, default=False
        Continue training the fitted network on the next call to ``fit``.

    momentum : float, default=0.9
        Momentum of ``solver='sgd'``.

    nesterovs_momentum : bool, default=True
        Whether ``solver='sgd'`` uses Nesterov's momentum.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the training data (stratified for
        classifiers), stop after ``n_iter_no_change`` epochs without ``tol``
        improvement of the validation score and restore the best weights.

    validation_fraction : float, default=0.1
        Share of training data held out for early stopping.

    beta_1, beta_2 : float, default=0.9, 0.999
        Moment decay rates of the Adam family of solvers.

    epsilon : float, default=1e-8
        Numerical-stability constant of the adaptive solvers.

    n_iter_no_change : int, default=10
        Number of epochs without ``tol`` improvement before stopping.

    max_fun : int, default=15000
        Accepted for compatibility with scikit-learn; only used by 'lbfgs', which
        skdeep does not offer.

    kernel_initializer : str or keras.initializers.Initializer, default='auto'
        Initializer of the kernels: ``'glorot_uniform'``, ``'glorot_normal'``,
        ``'he_uniform'``, ``'he_normal'``, ``'lecun_uniform'``, ``'lecun_normal'``,
        ``'orthogonal'``, ``'random_normal'``, ``'random_uniform'``,
        ``'truncated_normal'``, ``'he_avg_uniform'`` or ``'he_avg_normal'`` (He's
        variance over the average of fan-in and fan-out:
        ``VarianceScaling(scale=2, mode='fan_avg')``), or a Keras initializer
        object, rebuilt for each layer at each fit with a seed drawn from
        ``random_state``. ``'auto'`` picks LeCun normal for SELU and Glorot uniform
        (scikit-learn's initialisation) otherwise, ReLU family included: on
        ``benchmarks/initializers.py`` He's initialisation trains those networks
        less well.

    batch_normalization : bool or {'before_activation', 'after_activation'}, \
default=False
        Insert batch normalisation in each hidden block, between the Dense layer
        and its activation (``True`` or ``'before_activation'``, as in Ioffe &
        Szegedy, 2015) or after the activation.

    dropout : float or array-like of float, default=0.0
        Dropout rate after each hidden layer (one rate, or one per hidden layer),
        active during training only (and in ``mc_samples`` predictions).
        AlphaDropout with ``activation='selu'``.

    device : str or list of str, default='auto'
        ``'auto'`` (the first GPU if the backend sees one, else the CPU; in a worker
        process of a parallel search, the worker's own GPU, round-robin), ``'cpu'``,
        ``'gpu'``, ``'gpu:N'`` or ``'cpu:N'``. Training data are copied to the device
        once per fit. A list (``['gpu:0', 'gpu:1']``) trains data-parallel over those
        devices through the backend's own mechanism (TensorFlow's
        ``MirroredStrategy``, ``keras.distribution.DataParallel`` on JAX; on the
        ``'keras'`` engine) and predicts on the first; on JAX, ``batch_size`` must
        be a multiple of the number of devices (``'auto'`` is rounded down to one).

    dtype : {'auto', 'float32', 'float64'}, default='auto'
        Precision of the network's weights and arithmetic. ``'auto'`` follows the
        training data, as scikit-learn's MLPs do: float32 input trains in float32,
        anything else in float64 (slower, but results reproduce to the last digits,
        e.g. weighted vs repeated samples). Pass float32 data, or
        ``dtype='float32'``, for speed.

    precision : {'float32', 'mixed_float16', 'mixed_bfloat16'} or None, \
default=None
        Keras dtype policy of the hidden layers, for this estimator only (no
        global Keras policy is changed). The mixed policies keep the weights in
        float32 and compute the hidden layers in float16 or bfloat16 (fast on
        GPUs with tensor cores); the input and output layers and the loss stay
        float32, and ``'mixed_float16'`` scales the loss (Keras'
        ``LossScaleOptimizer``). Mixed precision trains on the ``'keras'`` engine,
        needs ``dtype='auto'`` or ``'float32'``, and predictions come back as
        float32. None and ``'float32'`` change nothing.

    engine : {'auto', 'numpy', 'tensorflow', 'keras'}, default='auto'
        Which training loop runs the epochs. ``'auto'`` trains on the CPU in NumPy
        when every layer, activation, loss and solver has a NumPy implementation:
        small networks train several times faster that way, with no start-up
        cost. It uses the compiled TensorFlow loop on a GPU. Anything those two
        cannot honour (``'prelu'``, SELU's AlphaDropout, ``max_norm``, ``l1``,
        ``clipnorm``, ``clipvalue``, frozen layers, another Keras backend) trains
        on the general Keras engine (``'keras'``), which runs the network's own
        ``train_step``; forcing another engine then raises a ValueError.
        ``'numpy'``, ``'tensorflow'`` and ``'keras'`` force one. The loops compute
        the same updates; their results differ by rounding and by their random
        draws (shuffles, dropout masks); the Keras engine applies the L2 penalty
        ``alpha`` per full minibatch size.

    rho : float, default=0.9
        Decay of the moving average of squared gradients of ``solver='rmsprop'``.

    weight_decay : float, default=0.004
        Decoupled weight decay of ``solver='adamw'`` (Keras' default), applied to
        every weight at each step as ``w -= weight_decay * learning_rate * w``.

    decay_rate : float, default=0.1
        Factor by which ``learning_rate='exponential'`` lowers the rate every
        ``decay_steps`` steps.

    decay_steps : int or None, default=None
        Steps over which 'exponential' lowers the rate by ``decay_rate``, and the
        step scale ``s`` of 'power'; None is every step of ``max_iter`` epochs.

    piecewise_boundaries : array-like of int or None, default=None
        Increasing epochs at which ``learning_rate='piecewise'`` changes rate.

    piecewise_values : array-like of float or None, default=None
        The rates of 'piecewise', one more than ``piecewise_boundaries``.

    reduce_factor : float, default=0.2
        Factor of ``learning_rate='adaptive'`` (scikit-learn divides by 5).

    max_learning_rate : float or None, default=None
        Peak rate of ``learning_rate='1cycle'``; None is ``10 *
        learning_rate_init``. Use ``find_learning_rate`` to choose it.

    callbacks : list of keras.callbacks.Callback or None, default=None
        Keras callbacks, copied at each fit (the copies are ``callbacks_``) and
        called at the start and end of training and of every epoch with the logs
        ``loss``, ``val_loss`` and ``val_score`` (with early stopping) and
        ``learning_rate``; their ``model`` is ``model_``, holding the epoch's
        weights. A callback stops training by setting
        ``self.model.stop_training = True``. Per-batch hooks are not called.

    checkpoint_path : str, path-like or None, default=None
        File where the training state (weights, optimizer state, epoch records)
        is saved after every epoch, or after every improving epoch with
        ``checkpoint_best_only=True``. A fit interrupted (e.g. by Ctrl-C or a
        crash) resumes from it at the next ``fit`` with this path and the same
        network: the epoch count, the records and the optimizer state continue
        (the same ``random_state`` replays the same shuffles). A fit that
        finishes marks the file as finished; it is then never resumed. The file
        is a pickle: load only files you wrote.

    checkpoint_best_only : bool, default=False
        Save only epochs that improve the validation score (with early stopping)
        or the training loss.

    tensorboard_log_dir : str, path-like or None, default=None
        Directory under which each fit writes TensorBoard event files (the epoch
        logs as scalars) into a fresh subdirectory named by a time stamp and key
        parameters (``tensorboard_run_dir_``); view with
        ``tensorboard --logdir``.

    negative_slope : float, default=0.2
        Slope of ``activation='leaky_relu'`` for negative inputs (Keras' default;
        the book's 0.2). Warns when set with another activation.

    input_batch_normalization : bool, default=False
        Normalise the inputs with a batch normalisation layer (``input_bn``)
        before the first hidden layer (before both paths of a Wide & Deep
        network).

    l1 : float, default=0.0
        Strength of the L1 penalty on the kernels, scaled as ``alpha``
        (``l1 * ||W||₁ / batch size``). Trains on the Keras engine.

    max_norm : float, default=None
        Bound on the norm of each hidden neuron's incoming weights (Keras'
        ``MaxNorm`` kernel constraint), applied after each step. Trains on the
        Keras engine.

    clipnorm : float, default=None
        Clip each weight's gradient to this norm before each step (Keras'
        ``clipnorm``). Trains on the Keras engine.

    clipvalue : float, default=None
        Clip every gradient component to ``[-clipvalue, clipvalue]`` (Keras'
        ``clipvalue``); not together with ``clipnorm``. Trains on the Keras
        engine.

    init_from : ReusedLayers, default=None
        Lower layers of a fitted network to start from (transfer learning), from
        :func:`~skdeep.neural_network.reuse_layers`: a fit that builds a new
        network copies them in, and every fit freezes them if they were reused
        with ``freeze=True``.
"""

FITTED_ATTRIBUTES_DOC = """\
    loss_ : float
        Training loss of the last epoch.

    loss_curve_ : list of float
        Training loss after each epoch.

    best_loss_ : float or None
        Lowest training loss reached; None with ``early_stopping=True``.

    validation_scores_ : list of float or None
        Validation score after each epoch with ``early_stopping=True``, else None.

    best_validation_score_ : float or None
        Best validation score with ``early_stopping=True``, else None.

    n_iter_ : int
        Number of epochs run by the last call to ``fit``.

    device_ : str
        The device the network trained on (``"cpu:0"``, ``"gpu:1"`` ...).

    t_ : int
        Number of training samples seen by the solver.

    n_layers_ : int
        Number of layers, input and output included.

    n_outputs_ : int
        Number of output units.

    out_activation_ : str
        Activation of the output layer.

    coefs_ : list of ndarray
        Kernels of the Dense layers (NumPy copies of the Keras weights).

    intercepts_ : list of ndarray
        Biases of the Dense layers.

    model_ : keras.Model
        The trained Keras network.

    history_ : dict of list
        Per-epoch records: ``loss``, ``learning_rate`` (the mean rate of the
        epoch's steps), with early stopping ``val_loss`` (the validation loss,
        without the L2 penalty) and ``val_score``, and ``momentum`` when 1cycle
        cycles it.

    callbacks_ : list of keras.callbacks.Callback
        The copies of ``callbacks`` the last fit called.

    tensorboard_run_dir_ : str
        The run directory of the last fit's TensorBoard logs (only with
        ``tensorboard_log_dir``).

    engine_ : {'numpy', 'tensorflow', 'keras'}
        The training loop the last fit used (see the ``engine`` parameter).

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when `X` has feature names
        that are all strings.
"""


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


class MLPClassifier(ClassifierMixin, _MLPMixin, _BaseKerasEstimator):
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

    _parameter_constraints: dict = {
        **_BaseKerasEstimator._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

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

    # -------------------------------------------------------------- bridge hooks

    def _encode_y(self, y, *, first_pass, classes=None):
        if _is_column_vector(y):
            y = y.ravel()
        if first_pass:
            # (a single class fits, as scikit-learn's: predict returns it)
            target = BuiltinClassifierTarget(y, classes=classes)
            self._target = target
            self.classes_ = target.classes_
            self.n_outputs_ = target.n_outputs
            self.out_activation_ = (
                "softmax" if target.task == "multiclass" else "logistic"
            )
        elif (
            classes is None
            and not np.array_equal(self.classes_, self._classes_of(y))
            and self._target.task != "multilabel"
        ):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{self._classes_of(y)}"
            )
        self._target.check_labels(y, f"{type(self).__name__}.partial_fit")
        return self._target.encode(y, self._dtype)

    @staticmethod
    def _classes_of(y):
        return unique_labels(y)

    def _combine_weights(self, sample_weight, y, *, incremental):
        if self.class_weight is not None:
            if self._target.task == "multilabel":
                raise ValueError(
                    "class_weight is not supported for multilabel targets; pass "
                    "sample_weight instead."
                )
            sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        if (
            self._target.task != "multilabel"
            and not incremental
            and len(self.classes_) > 1
        ):
            # partial_fit batches may hold a single class; a whole fit may not
            weighted = np.unique(y[sample_weight > 0])
            if len(weighted) < 2:
                raise ValueError(
                    "Only one class has a non-zero sample weight: a classifier "
                    f"needs samples of at least 2 classes (got {weighted})."
                )
        return sample_weight

    def _output_activation(self):
        return self._target.output_activation

    def _loss_name(self):
        return self._target.loss_name

    def _task(self):
        return self._target.task

    # The target helper travels as plain data, so that skops files hold no
    # skdeep-internal type (only MLPClassifier itself).
    def __getstate__(self):
        state = super().__getstate__()
        target = state.pop("_target", None)
        if target is not None:
            state["_target_state"] = target.state()
        return state

    def __setstate__(self, state):
        state = dict(state)
        target = state.pop("_target_state", None)
        if target is not None:
            state["_target"] = BuiltinClassifierTarget.from_state(target)
        super().__setstate__(state)

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

    _parameter_constraints: dict = {
        **_BaseKerasEstimator._parameter_constraints,
        **REGRESSION_PARAMETER_CONSTRAINTS,
    }

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
