"""The fit of the built-in networks: its arguments checked, the network built, an
engine of ``_engine`` chosen for it and the epoch loop of ``_epochs`` run over it.

``_FitMixin`` is a part of ``_BaseKerasEstimator``; its methods call the estimator's
hooks (``_architecture``, ``_encode_y``, ``_loss_name`` ...).
"""

import warnings
from numbers import Real

import numpy as np
from sklearn.base import is_classifier
from sklearn.model_selection import train_test_split
from sklearn.utils.validation import validate_data

from skdeep._bridge import _streams
from skdeep._bridge._precision import precision_scope
from skdeep.neural_network import _callbacks, _stored_network
from skdeep.neural_network._epochs import train
from skdeep.neural_network._parameters import hidden_layer_sizes
from skdeep.utils._random import _MAX_SEED, local_random_state


class _FitMixin:
    """The fit of ``_BaseKerasEstimator``. Not for direct use."""

    def _validate_fit_args(self):
        if self.solver == "lbfgs":
            raise ValueError(
                "solver='lbfgs' is not supported by skdeep: it is a full-batch "
                "quasi-Newton method that Keras' minibatch training does not offer. "
                f"Use sklearn.neural_network.{type(self).__name__}(solver='lbfgs'), "
                "or choose a minibatch solver here: 'adam', 'sgd', 'nadam', "
                "'rmsprop', 'adagrad' or 'adamax'."
            )
        hidden_layer_sizes(self.hidden_layer_sizes)  # a ValueError names the value
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

    def _training_spec(self, architecture, batch_size, n_devices=1):
        """What every engine needs to know about this fit (a ``TrainingSpec``)."""
        from skdeep._bridge.engine import TrainingSpec
        from skdeep.neural_network._engine import solver_hyper

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
        return TrainingSpec(
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
        honour (a layer, constraint or loss they do not implement; for the compiled
        loop also a frozen layer, PReLU, ``max_norm``, ``l1`` or gradient clipping;
        a Keras backend other than TensorFlow) trains on the general Keras engine.
        """
        import keras

        from skdeep.neural_network._engine import hand_written_gaps
        from skdeep.neural_network._numpy_training import trainable

        tensorflow = keras.backend.backend() == "tensorflow"
        hand_written = (
            self.engine
            if self.engine in ("numpy", "tensorflow")
            else "tensorflow"
            if placement.is_gpu
            else "numpy"
        )
        # (the NumPy loop trains frozen layers, PReLU and max_norm; the compiled not)
        frozen = hand_written == "tensorflow" and any(
            not w.trainable for w in self.model_.weights if "kernel" in w.path
        )
        gaps = hand_written_gaps(spec, hand_written)
        interpretable = (
            tensorflow
            and stream is None
            and not placement.parallel
            and not frozen
            and not gaps
            and trainable(self.model_, self._loss_name(), numpy=hand_written == "numpy")
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
        return hand_written

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
        Between epochs and at the end of the fit, Ctrl-C is held back until the
        epoch is recorded (``_epochs.InterruptHold``).
        """
        from skdeep.neural_network._epochs import holding

        snapshot = dict(self.__dict__)
        with holding() as hold:
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
            try:  # one that came after the last epoch's run: the fit is complete
                hold.release()
            except KeyboardInterrupt as exc:
                interrupted = interrupted or exc
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
            training_spec = self._training_spec(
                repr(_strip_seed(spec)), batch_size, len(placement.names)
            )
            self.engine_ = self._choose_engine(placement, training_spec, stream)
            if stream is not None:
                from skdeep.neural_network._streaming import (
                    StreamEngine,
                    StreamFeed,
                    check_schedule_steps,
                )

                feed = StreamFeed(stream, self._encode_batch, steps_per_epoch)
                check_schedule_steps(self, feed.n_batches)
                engine = StreamEngine(self.model_, training_spec, feed)
                n_samples, n_batches = None, feed.n_batches
            else:
                engine = self._make_engine(
                    training_spec,
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
                spec=training_spec,
                resumed=resumed is not None,
            )
            self._optimizer_state = engine.write_back(state)
        self._predictor = self._make_predictor(placement)
        self._set_weight_attributes()
        return interrupted

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
