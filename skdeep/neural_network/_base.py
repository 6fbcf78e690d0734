"""The base of the built-in networks (MLPs, Wide & Deep): the scikit-learn side.

It owns parameter validation, input validation, target encoding, building the network
from a pure-Keras function of ``_architectures``, choosing one of the engines of
``_engine`` (which also picks the inference pass) and running the epoch loop of
``_epochs`` over it, tags and pickling. Estimators declare their parameters
and override a few small hooks (``_architecture``, ``_encode_y``, ``_loss_name`` ...).
"""

import warnings
from abc import ABCMeta, abstractmethod
from numbers import Integral, Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import DataConversionWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import (
    check_is_fitted,
    validate_data,
)

from skdeep._bridge import _streams
from skdeep._bridge._estimator import KerasEstimator
from skdeep._bridge._precision import precision_scope
from skdeep.neural_network import _callbacks, _stored_network
from skdeep.neural_network._epochs import train
from skdeep.neural_network._inference import NonFiniteInputError
from skdeep.neural_network._parameters import BASE_PARAMETER_CONSTRAINTS
from skdeep.utils._random import _MAX_SEED, local_random_state

MIXED_PRECISIONS = ("mixed_float16", "mixed_bfloat16")


class _BaseKerasEstimator(KerasEstimator, metaclass=ABCMeta):
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
    # Estimators override these; everything else lives here.

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

    # ------------------------------------------------------------------ fit

    def _validate_fit_args(self):
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' is not supported by skdeep: it is a full-batch "
                "quasi-Newton method that Keras' minibatch training does not offer. "
                f"Use sklearn.neural_network.{type(self).__name__}(solver='lbfgs'), "
                "or choose a minibatch solver here: 'adam', 'sgd', 'nadam', "
                "'rmsprop', 'adagrad' or 'adamax'."
            )
        sizes = np.atleast_1d(np.asarray(self.hidden_layer_sizes, dtype=object))
        if sizes.size and not all(
            isinstance(s, Integral | np.integer) and s > 0 for s in sizes
        ):
            raise ValueError(
                "hidden_layer_sizes must be a sequence of positive integers, got "
                f"{self.hidden_layer_sizes!r}."
            )
        from skdeep.neural_network._schedules import check_schedule

        check_schedule(self)
        if not isinstance(self.solver, str):
            rate = self.solver.get_config().get("learning_rate")
            if not isinstance(rate, Real) and self.learning_rate != "constant":
                raise ValueError(
                    "The Keras optimizer given as solver has its own learning-rate "
                    f"schedule; leave learning_rate='constant' (got "
                    f"{self.learning_rate!r}) or give the optimizer a float rate."
                )
            if self.engine in ("numpy", "tensorflow") and not self._solver_setting()[0]:
                raise ValueError(
                    f"engine={self.engine!r} trains skdeep's solvers only; this "
                    f"{type(self.solver).__name__} (its class or settings have no "
                    "counterpart there) trains on engine='keras' (or 'auto')."
                )
        from skdeep._bridge._devices import parse_device

        parse_device(self.device)  # a ValueError that says what is accepted
        if self._mixed_precision and self.dtype == "float64":
            raise ValueError(
                f"precision={self.precision!r} keeps the weights in float32 and "
                "computes in half precision; it cannot apply to a float64 network. "
                "Set dtype='auto' or 'float32', or precision=None."
            )
        from skdeep.neural_network._options import check_options

        check_options(self)

    def _self_normalisation_breaks(self):
        """Parts of the architecture that break SELU's self-normalisation."""
        return ()

    def _hidden_layer_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, Integral | np.integer):
            return (int(sizes),)
        return tuple(int(s) for s in sizes)

    def _kernel_initializer(self):
        from skdeep.neural_network._options import kernel_initializer

        return kernel_initializer(self)

    def _block_options(self):
        """The hidden blocks' options, as ``_architectures.dense_stack`` takes them."""
        from skdeep.neural_network._options import block_options

        return block_options(self)

    def _epoch_spec(self, architecture, batch_size, n_devices=1):
        """What every engine needs to know about this fit (``_engine.EpochSpec``)."""
        from skdeep.neural_network._engine import EpochSpec, solver_hyper

        solver, hyper = self._solver_setting()
        if solver is None:  # a Keras optimizer only the Keras engine trains
            solver, hyper = "keras", ()
        elif hyper is None:
            hyper = solver_hyper(
                solver,
                momentum=self.momentum,
                nesterovs_momentum=self.nesterovs_momentum,
                beta_1=self.beta_1,
                beta_2=self.beta_2,
                epsilon=self.epsilon,
                rho=self.rho,
                weight_decay=self.weight_decay,
            )
        return EpochSpec(
            architecture=architecture,
            loss_name=self._loss_name(),
            task=self._task(),
            solver=solver,
            hyper=hyper,
            alpha=float(self.alpha),
            loss_weights=tuple(float(w) for w in self._loss_weights()),
            dtype=self._dtype,
            batch_size=int(batch_size),
            shuffle=bool(self.shuffle),
            optimizer=_clone_optimizer(self.solver) if solver == "keras" else None,
            l1=float(self.l1),
            clipnorm=None if self.clipnorm is None else float(self.clipnorm),
            clipvalue=None if self.clipvalue is None else float(self.clipvalue),
            precision=self.precision if self._mixed_precision else None,
            n_devices=n_devices,
            step_hooks=not all(map(_callbacks.epoch_only, self.callbacks or ())),
            optimizer_state=any(
                map(_callbacks.saves_optimizer_state, self.callbacks or ())
            ),
        )

    def _solver_setting(self):
        """``(solver, hyper)``: a solver name and None (the constants come from the
        parameters), the solver a Keras optimizer instance amounts to and its
        constants, or ``(None, None)`` for an instance only Keras can train."""
        if isinstance(self.solver, str):
            return self.solver, None
        from skdeep.neural_network._engine import keras_solver

        return keras_solver(self.solver) or (None, None)

    def _initial_rate(self):
        """``learning_rate_init``, or the float rate of a Keras optimizer solver."""
        if not isinstance(self.solver, str):
            rate = self.solver.get_config().get("learning_rate")
            if isinstance(rate, Real):
                return float(rate)
        return float(self.learning_rate_init)

    def _make_engine(self, spec, data, validation):
        from skdeep.neural_network._engine import make_engine

        return make_engine(self.engine_, self.model_, spec, data, validation)

    def _choose_engine(self, placement, spec, stream=None):
        """``engine``, or with "auto" the fastest engine that can train this network.

        The hand-written loops are optimisations for the plain networks they know:
        NumPy on the CPU, the compiled TensorFlow loop on GPUs. Whatever they cannot
        honour (a frozen layer, a layer, constraint or loss they do not implement,
        an option of ``spec`` such as ``l1`` or gradient clipping, a Keras backend
        other than TensorFlow) trains on the general Keras engine.
        """
        import keras

        from skdeep.neural_network._engine import hand_written_gaps
        from skdeep.neural_network._numpy_training import trainable

        tensorflow = keras.backend.backend() == "tensorflow"
        frozen = any(not w.trainable for w in self.model_.weights if "kernel" in w.path)
        gaps = hand_written_gaps(spec)
        interpretable = (
            tensorflow
            and stream is None
            and not placement.parallel
            and not frozen
            and not gaps
            and trainable(self.model_, self._loss_name())
        )
        if self.engine in ("numpy", "tensorflow") and not interpretable:
            why = (
                f"the Keras backend is {keras.backend.backend()!r}"
                if not tensorflow
                else f"X is a {stream.kind}, which Keras' fit reads"
                if stream is not None
                else "a list of devices trains data-parallel through Keras"
                if placement.parallel
                else "a layer is frozen"
                if frozen
                else f"{', '.join(gaps)} has no implementation there"
                if gaps
                else "a layer, activation, constraint or loss has no implementation "
                "there"
            )
            raise ValueError(
                f"engine={self.engine!r} cannot train this network ({why}); use "
                "engine='auto' or engine='keras'."
            )
        if self.engine != "auto":
            return self.engine
        if not interpretable or self._solver_setting()[0] is None:
            return "keras"
        return "tensorflow" if placement.is_gpu else "numpy"

    def _build_model(self):
        import keras

        from skdeep.neural_network._architectures import BUILDERS

        name, kwargs = self._model_spec_
        # the model's own policy: Keras scales a mixed_float16 model's loss
        with warnings.catch_warnings(), precision_scope(kwargs.get("precision")):
            warnings.simplefilter("ignore", UserWarning)  # Keras naming chatter
            model = BUILDERS[name](**kwargs)
        if not isinstance(model, keras.Model):  # pragma: no cover - builder contract
            raise TypeError(f"builder {name!r} returned {type(model)}")
        return model

    def _fit(
        self,
        X,
        y,
        sample_weight=None,
        *,
        incremental=False,
        classes=None,
        steps_per_epoch=None,
    ):
        """Fit, leaving a usable estimator when interrupted (KeyboardInterrupt).

        Interrupted after at least one epoch, the estimator keeps the weights of
        the last completed epoch (the best-scoring one with early stopping) and
        fitted attributes that describe the epochs run; before that, it is put
        back as it was before the call. Either way the KeyboardInterrupt goes on.
        """
        snapshot = dict(self.__dict__)
        try:
            interrupted = self._fit_epochs(
                X,
                y,
                sample_weight,
                incremental=incremental,
                classes=classes,
                steps_per_epoch=steps_per_epoch,
            )
        except KeyboardInterrupt:
            self.__dict__.clear()
            self.__dict__.update(snapshot)
            raise
        if interrupted is not None:
            raise interrupted
        return self

    def _fit_epochs(
        self, X, y, sample_weight, *, incremental, classes, steps_per_epoch
    ):
        """The fit; returns the KeyboardInterrupt that cut training short, if any.

        ``X`` may be a stream of batches (``_streaming``): the first batch stands
        for the arrays below, and the epochs run over the stream."""

        from skdeep._bridge._devices import resolve

        self._validate_fit_args()
        if self.early_stopping and incremental:
            raise ValueError("partial_fit does not support early_stopping=True")
        stream = None
        if _streams.is_stream(X):
            from skdeep.neural_network._streaming import check_stream_fit

            check_stream_fit(self, y, sample_weight, steps_per_epoch, incremental)
            stream = _streams.Stream(X)
            X, y, sample_weight = stream.first  # what arrays would tell
        else:  # (partial_fit's classes are its own)
            _streams.check_array_fit(None if incremental else classes, steps_per_epoch)
        fitted = _stored_network.has_network(self)
        first_pass = not fitted or (not self.warm_start and not incremental)
        if first_pass:
            self.__dict__.pop("_training_dtype", None)
        auto = first_pass and self.dtype == "auto" and not self._mixed_precision
        X, y = validate_data(
            self,
            X,
            y,
            reset=first_pass,
            dtype=[np.float64, np.float32] if auto else np.dtype(self._dtype),
            multi_output=True,
            y_numeric=not is_classifier(self),
        )
        if first_pass:
            self._training_dtype = X.dtype.name
        self._check_fit_params(X)
        Y = self._encode_y(y, first_pass=first_pass, classes=classes)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        sample_weight = self._combine_weights(
            sample_weight, y, incremental=incremental or stream is not None
        )

        placement = resolve(self.device)
        self.device_ = placement.name
        rng = local_random_state(self.random_state)
        seeds = rng.randint(_MAX_SEED, size=3)

        if self.early_stopping:
            # scikit-learn's strata: the rows of the label indicator (its error
            # names a class of too few members as its row: 'True' for binary)
            stratify = (
                Y.astype(bool)
                if is_classifier(self) and self._task() != "multilabel"
                else None
            )
            X, X_val, Y, Y_val, sample_weight, w_val = train_test_split(
                X,
                Y,
                sample_weight,
                random_state=int(seeds[2]),
                test_size=self.validation_fraction,
                stratify=stratify,
            )
            if X_val.shape[0] < 2:
                raise ValueError(
                    "The validation set is too small. Increase 'validation_fraction' "
                    "or the size of your dataset."
                )
        n_samples = X.shape[0]
        if stream is not None:
            # the stream's batches as they come; the penalty scales with the first's
            batch_size = n_samples
            if self.batch_size != "auto":
                warnings.warn(
                    f"batch_size={self.batch_size} has no effect on a streamed X: "
                    "the network trains on the stream's batches as they come.",
                    UserWarning,
                    stacklevel=3,
                )
        elif self.batch_size == "auto":
            batch_size = min(200, n_samples)
        else:
            if self.batch_size > n_samples:
                warnings.warn(
                    "Got `batch_size` less than 1 or larger than sample size. It is "
                    "going to be clipped",
                    stacklevel=3,
                )
            batch_size = int(np.clip(self.batch_size, 1, n_samples))
        batch_size = _even_batch_size(
            batch_size, placement, auto=self.batch_size == "auto"
        )

        spec = self._architecture()
        spec[1]["seed"] = int(seeds[0])
        if first_pass:
            self._model_spec_ = spec
            self._initialize_fitted_attributes()
        elif _strip_seed(spec) != _strip_seed(self._model_spec_):
            raise ValueError(
                "warm_start and partial_fit continue training the fitted network, "
                "but the architecture parameters changed since the first fit. Set "
                "warm_start=False (or refit) to train a new network."
            )

        # keras.device (tf.device on TensorFlow, JAX's default device); none where
        # the backend sees only one CPU (PyTorch would copy every variable to it)
        with placement.training():
            if first_pass:
                self.model_ = self._build_model()
            if first_pass or self.init_from is not None:
                _apply_init_from(self.init_from, self.model_, copy=first_pass)
            epoch_spec = self._epoch_spec(
                repr(_strip_seed(spec)), batch_size, len(placement.names)
            )
            self.engine_ = self._choose_engine(placement, epoch_spec, stream)
            if stream is not None:
                from skdeep.neural_network._streaming import (
                    StreamEngine,
                    StreamFeed,
                    check_schedule_steps,
                )

                feed = StreamFeed(stream, self._encode_batch, steps_per_epoch)
                check_schedule_steps(self, feed.n_batches)
                engine = StreamEngine(self.model_, epoch_spec, feed)
                n_samples, n_batches = None, feed.n_batches
            else:
                engine = self._make_engine(
                    epoch_spec,
                    data=(self._model_inputs(X), Y, sample_weight),
                    validation=(
                        (self._model_inputs(X_val), Y_val, w_val)
                        if self.early_stopping
                        else (None, None, None)
                    ),
                )
                n_batches = -(-n_samples // batch_size)
            previous = getattr(self, "_optimizer_state", None)
            resumed = _callbacks.resume(self, first_pass, _strip_seed(spec), engine)
            if resumed is not None:
                state, best_state = resumed
            else:
                state = engine.initial_state(previous if incremental else None)
                best_state = state
            state, interrupted = train(
                self,
                engine,
                state,
                best_state,
                shuffle_seed=int(seeds[1]),
                incremental=incremental,
                n_samples=n_samples,
                n_batches=n_batches,
                spec=epoch_spec,
                resumed=resumed is not None,
            )
            self._optimizer_state = engine.write_back(state)
        self._predictor = self._make_predictor(placement)
        self._set_weight_attributes()
        return interrupted

    def _combine_weights(self, sample_weight, y, *, incremental):
        """Fold estimator-level weights (e.g. class weights) into ``sample_weight``."""
        return sample_weight

    def _initialize_fitted_attributes(self):
        self.n_iter_ = 0
        self.t_ = 0
        self.loss_curve_ = []
        self.history_ = {"loss": [], "learning_rate": []}
        self._no_improvement_count = 0
        if self.early_stopping:
            self.validation_scores_ = []
            self.best_validation_score_ = -np.inf
            self.best_loss_ = None
            self.history_["val_loss"] = []
            self.history_["val_score"] = []
        else:
            self.validation_scores_ = None
            self.best_validation_score_ = None
            self.best_loss_ = np.inf
        if len(self._loss_weights()) > 1:
            for i in range(len(self._loss_weights())):
                self.history_[f"loss_output_{i}"] = []
        self._learning_rate_ = self._initial_rate()

    def _set_weight_attributes(self):
        dense = [
            layer for layer in self.model_.layers if type(layer).__name__ == "Dense"
        ]
        self.coefs_ = [layer.kernel.numpy() for layer in dense]
        self.intercepts_ = [layer.bias.numpy() for layer in dense if layer.use_bias]
        self.n_layers_ = len(self._hidden_layer_sizes()) + 2

    # ------------------------------------------------------------------ predict

    def _forward(self, X, labels=False):
        """The network's outputs for ``X`` (a list if several), validated as
        ``predict`` needs; with ``labels``, the predictor's ``labels`` instead."""
        predictor = self._fitted_predictor()
        run = predictor.labels if labels else predictor
        if self._is_plain_array(X):
            inputs = self._model_inputs(X)
            if (
                getattr(predictor, "checks_finite", False)
                and len(inputs) == 1
                and inputs[0] is X  # (not a selection of X's columns)
            ):
                # the pass checks X inside its first matrix product
                try:
                    return run(X, check_finite=True)
                except NonFiniteInputError:
                    pass  # validate_data raises scikit-learn's error
            elif np.isfinite(X).all():
                return run(*inputs)
        _streams.refuse_in_predict(self, X)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return run(*self._model_inputs(X))

    def _mc_outputs(self, X, mc_samples):
        """Each network output over ``mc_samples`` passes with dropout active (MC
        dropout), as arrays of shape ``(mc_samples, n_rows, n_units)``."""
        from skdeep.neural_network._mc_dropout import has_dropout, mc_samples_of

        self._fitted_predictor()  # NotFittedError first
        if (
            not isinstance(mc_samples, Integral | np.integer)
            or isinstance(mc_samples, bool)
            or mc_samples < 1
        ):
            raise ValueError(
                f"mc_samples must be a positive integer or None, got {mc_samples!r}."
            )
        if not has_dropout(self.model_):
            raise ValueError(
                "mc_samples averages passes with dropout active, but this network "
                "has no dropout: fit it with dropout > 0."
            )
        _streams.refuse_in_predict(self, X)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # a stream apart from the fit's seeds (the same for an int random_state)
        seed = int(local_random_state(self.random_state).randint(_MAX_SEED, size=4)[3])
        return mc_samples_of(self.model_, self._model_inputs(X), int(mc_samples), seed)

    def _fitted_predictor(self):
        """The inference pass; NotFittedError when unfitted (cheaper than a plain
        ``check_is_fitted``, which looks at every attribute: 0.1 ms a call)."""
        if not hasattr(self, "_predictor"):
            check_is_fitted(self, "_predictor")
        return self._predictor

    def _is_plain_array(self, X):
        """Whether ``X`` needs none of ``validate_data``'s conversions or warnings,
        finiteness aside.

        A fast path for the common call (``predict`` on a float ndarray of the right
        width, on an estimator fitted without feature names): it skips
        ``validate_data``'s generic checks, which dominate single-row latency.
        Anything else goes through ``validate_data`` and gets its usual errors.
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        )

    def _make_predictor(self, placement=None):
        """The inference pass, on the fit's ``placement`` (after unpickling, the
        fitted ``device_`` where this process has it, else ``"auto"``)."""
        from skdeep._bridge._devices import fitted_placement
        from skdeep.neural_network._engine import predictor

        if placement is None:
            placement = fitted_placement(getattr(self, "device_", self.device))
        return predictor(self.model_, placement)

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


def _even_batch_size(batch_size, placement, *, auto):
    """``batch_size`` as a data-parallel fit on JAX needs it: a multiple of the
    number of devices (JAX shares each batch equally between them). ``"auto"`` is
    rounded down to one; a size given that does not split raises."""
    n_devices = len(placement.names)
    if n_devices == 1 or placement.backend != "jax" or batch_size % n_devices == 0:
        return batch_size
    if auto:
        return max(n_devices, batch_size - batch_size % n_devices)
    from skdeep._bridge._devices_jax import check_batch_splits

    check_batch_splits("batch_size", batch_size, n_devices)


def _clone_optimizer(optimizer):
    """A fresh, unbuilt copy of a Keras optimizer (its class and configuration)."""
    return type(optimizer).from_config(optimizer.get_config())


def _strip_seed(spec):
    name, kwargs = spec
    return name, {k: v for k, v in kwargs.items() if k != "seed"}


def _apply_init_from(init_from, model, *, copy):
    """Copy ``init_from``'s layers into ``model`` (``copy``) and set which layers
    train: every layer but the reused ones when they are frozen."""
    for layer in model.layers:
        if not layer.trainable:  # (setting it anew costs a PyTorch variable copy)
            layer.trainable = True
    if init_from is not None:
        init_from.apply(model, copy=copy)
