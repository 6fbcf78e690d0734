"""The numpydoc blocks the built-in networks share: their training parameters and
fitted attributes (``MLPClassifier``, ``MLPRegressor``, ``WideDeepRegressor``)."""

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
        cannot honour (another Keras backend; on a GPU ``'prelu'``, SELU's
        AlphaDropout, ``max_norm``, ``l1``, ``clipnorm``, ``clipvalue`` and frozen
        layers, which the NumPy loop implements) trains
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
        (``l1 * ||W||₁ / batch size``).

    max_norm : float, default=None
        Bound on the norm of each hidden neuron's incoming weights (Keras'
        ``MaxNorm`` kernel constraint), applied after each step.

    clipnorm : float, default=None
        Clip each weight's gradient to this norm before each step (Keras'
        ``clipnorm``). The NumPy loop and the Keras engine implement it; on a GPU
        it trains on the Keras engine.

    clipvalue : float, default=None
        Clip every gradient component to ``[-clipvalue, clipvalue]`` (Keras'
        ``clipvalue``); not together with ``clipnorm``. The NumPy loop and the
        Keras engine implement it; on a GPU it trains on the Keras engine.

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
        The trained Keras network. A loaded estimator that predicts in NumPy
        builds it from the stored weights the first time it is used.

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
