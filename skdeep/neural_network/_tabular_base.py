"""What the tabular regressor and classifier share (``_tabular``): parameters,
preprocessing, the held-out rows, building and training the network, pickling."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    check_is_fitted,
    check_X_y,
    validate_data,
)

from skdeep._bridge import _streams
from skdeep._bridge._estimator import KerasEstimator
from skdeep._bridge._precision import PRECISIONS
from skdeep.neural_network._tabular_preprocessing import (
    RobustSmoothScaler,
    TabularColumns,
    categorical_columns,
)

# the recipe's learning-rate factors of parameter groups (under Adam a factor on a
# parameter's scale is a factor on its learning rate): the feature scales learn
# fast, the biases slowly
_SCALE_FACTOR = 6.0
_BIAS_FACTOR = 0.1
# with keep_best="auto", the best epoch on a held-out set is kept from this many rows
_KEEP_BEST_ROWS = 500
# batch_size="auto": _BATCH_ROWS rows, or fewer so that an epoch has _MIN_STEPS
# steps, down to _MIN_AUTO_BATCH rows
_BATCH_ROWS, _MIN_STEPS, _MIN_AUTO_BATCH = 256, 8, 32
# the data-dependent initialisation reads at most this many training rows
_INIT_ROWS = 1024
# parameters that do not change what a training step computes (``_network_key``)
_NOT_IN_THE_STEP = frozenset(
    {
        "random_state",
        "verbose",
        "callbacks",
        "device",
        "keep_best",
        "refit",
        "validation_fraction",
        "max_iter",
        "batch_size",
    }
)


class _TabularMLP(KerasEstimator):
    """What the tabular regressor and classifier share. Not for direct use."""

    _parameter_constraints: dict = {
        "hidden_layer_sizes": ["array-like"],
        "activation": [StrOptions({"mish", "selu", "relu"})],
        "learnable_mix": ["boolean"],
        "periodic_embedding": ["boolean"],
        "n_frequencies": [Interval(Integral, 1, None, closed="left")],
        "embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "frequency_scale": [Interval(Real, 0, None, closed="neither")],
        "feature_scale": ["boolean"],
        "ntk": ["boolean"],
        "data_init": ["boolean"],
        "parameter_groups": ["boolean"],
        "robust_scaling": ["boolean"],
        "max_one_hot": [Interval(Integral, 0, None, closed="left")],
        "categorical_embedding_dim": [Interval(Integral, 1, None, closed="left")],
        "smooth_clip": ["boolean"],
        "dropout": [Interval(Real, 0, 1, closed="left")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "regularization_schedule": [StrOptions({"flat_cos", "constant"})],
        "learning_rate": [StrOptions({"coslog4", "cosine", "constant"})],
        "learning_rate_init": [Interval(Real, 0, None, closed="neither")],
        "beta_1": [Interval(Real, 0, 1, closed="left")],
        "beta_2": [Interval(Real, 0, 1, closed="left")],
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "keep_best": [StrOptions({"auto"}), "boolean"],
        "refit": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "dtype": [StrOptions({"float32", "float64"})],
        "device": [str, list, tuple],
        "precision": [StrOptions(set(PRECISIONS)), None],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "callbacks": [list, tuple, None],
    }

    def _check_hidden_layer_sizes(self):
        from skdeep.neural_network._parameters import hidden_layer_sizes

        sizes = hidden_layer_sizes(self.hidden_layer_sizes)
        if not sizes:
            raise ValueError(
                "hidden_layer_sizes must hold at least one positive layer size, got "
                f"{self.hidden_layer_sizes!r}."
            )
        return sizes

    # -- preprocessing ---------------------------------------------------------

    def _scaler(self):
        if self.robust_scaling:
            return RobustSmoothScaler(smooth_clip=self.smooth_clip)
        return StandardScaler()

    def _validate(self, X, y, **options):
        """``X`` and ``y`` checked as ``validate_data`` checks them; a DataFrame
        with categorical columns stays a DataFrame (``TabularColumns`` encodes it)."""
        if not categorical_columns(X):
            return validate_data(self, X, y, dtype=np.float64, **options)
        _check_feature_names(self, X, reset=True)
        _check_n_features(self, X, reset=True)
        _, y = check_X_y(
            np.zeros((len(X), 1)), y, dtype=np.float64, **options
        )  # y's checks, with scikit-learn's messages
        return X, y

    def _fit_transform_X(self, X, sample_weight):
        if categorical_columns(X):
            self.preprocessor_ = TabularColumns(self._scaler(), self.max_one_hot)
        else:
            self.preprocessor_ = self._scaler()
        self.preprocessor_.fit(X, sample_weight=sample_weight)
        return self._transform_X(X)

    def _transform_X(self, X):
        return np.asarray(self.preprocessor_.transform(X), dtype=self.dtype)

    def _check_X(self, X):
        """``X`` checked for prediction, as it was for fit."""
        if not isinstance(self.preprocessor_, TabularColumns):
            return validate_data(self, X, dtype=np.float64, reset=False)
        if not hasattr(X, "columns"):
            raise ValueError(
                "This estimator was fitted on a DataFrame with categorical columns; "
                f"predict takes a DataFrame with the same columns, got {type(X)}."
            )
        _check_feature_names(self, X, reset=False)
        _check_n_features(self, X, reset=False)
        return X

    def _column_layout(self):
        """The network's column blocks (``build_tabular_mlp``'s ``n_numeric`` and
        ``cardinalities``)."""
        if not isinstance(self.preprocessor_, TabularColumns):
            return {}
        return {
            "n_numeric": self.preprocessor_.n_numeric,
            "cardinalities": self.preprocessor_.cardinalities,
            "categorical_embedding_dim": self.categorical_embedding_dim,
        }

    # -- fit: arrays or a stream ------------------------------------------------

    def _fit(self, X, y, sample_weight, *, classes=None, steps_per_epoch=None):
        if _streams.is_stream(X):
            return self._fit_stream(X, y, sample_weight, classes, steps_per_epoch)
        _streams.check_array_fit(classes, steps_per_epoch)
        X, y = self._validate(X, y, **self._y_options)
        sample_weight = self._validate_sample_weight(sample_weight, X)
        Y = self._fit_targets(y, sample_weight)
        Z = self._fit_transform_X(X, sample_weight)
        self._fit_network(Z, Y, sample_weight)
        return self

    def _fit_stream(self, X, y, sample_weight, classes, steps_per_epoch):
        """Fit the preprocessing on the stream's first batches, then train on all
        of its batches (``_tabular_streams``)."""
        from skdeep.neural_network import _tabular_streams
        from skdeep.neural_network._streaming import StreamFeed

        _tabular_streams.check_stream_fit(self, y, sample_weight, steps_per_epoch)
        if classes is None and hasattr(self, "predict_proba"):
            raise ValueError(
                f"{type(self).__name__}.fit on streamed batches needs classes=[...], "
                "every label the batches may hold (the network has one output per "
                "class)."
            )
        if self.batch_size != "auto":
            warnings.warn(
                f"batch_size={self.batch_size} has no effect on a streamed X: the "
                "network trains on the stream's own batches.",
                UserWarning,
                stacklevel=3,
            )
        stream = _streams.Stream(X)
        x, y, weights = _tabular_streams.read_sample(stream)
        x = validate_data(self, x, dtype=np.float64)
        y = self._check_stream_targets(y)
        weights = self._validate_sample_weight(weights, x)
        Y = self._fit_targets(y, weights, classes=classes)
        Z = self._fit_transform_X(x, weights)
        # the batches' weights scaled as the sample's are (mean 1 on the sample)
        mean_weight = weights.mean()

        def encode(x, y, w):
            x = validate_data(self, x, dtype=np.float64, reset=False)
            Y = self._encode_targets(self._check_stream_targets(y))
            w = None if w is None else np.asarray(w, dtype=np.float64) / mean_weight
            return self._transform_X(x), Y, w

        feed = StreamFeed(stream, encode, steps_per_epoch)
        if feed.n_batches is None:
            raise _tabular_streams.epoch_count_error(stream)
        self._fit_network(Z, Y, weights, feed=feed)
        return self

    # -- training ----------------------------------------------------------------

    def _batch_size(self, n_rows):
        if self.batch_size != "auto":
            return self.batch_size
        return min(_BATCH_ROWS, max(_MIN_AUTO_BATCH, -(-n_rows // _MIN_STEPS)))

    def _keep_best(self, n_samples):
        if self.keep_best == "auto":
            return n_samples >= _KEEP_BEST_ROWS
        return bool(self.keep_best) and n_samples >= 2

    def _split(self, n_samples, seed):
        """Training and held-out row indices (no held-out rows without keep_best)."""
        rows = np.arange(n_samples)
        if not self._keep_best(n_samples):
            return rows, rows[:0]
        rng = np.random.RandomState(seed)
        n_valid = max(1, int(round(self.validation_fraction * n_samples)))
        n_valid = min(n_valid, n_samples - 1)
        order = rng.permutation(n_samples)
        return np.sort(order[n_valid:]), np.sort(order[:n_valid])

    def _network_key(self, n_features, n_outputs):
        """All that the compiled network's step computes besides its variables'
        values (the parameters of ``_compiled_network``; not the seed, the data,
        the callbacks, or ``total_steps``, which the optimizer holds in a
        variable)."""
        import keras

        loss, output_activation = self._loss()
        if not isinstance(loss, str):
            loss = repr(keras.losses.serialize(loss))
        names = sorted(set(self._parameter_constraints) - _NOT_IN_THE_STEP)
        return (
            type(self).__name__,
            n_features,
            n_outputs,
            loss,
            output_activation,
            repr(self._column_layout()),
            tuple((name, repr(getattr(self, name))) for name in names),
            keras.config.floatx(),
            keras.config.epsilon(),
        )

    def _compiled_network(self, n_features, n_outputs, total_steps, seed):
        """The network built and compiled for ``total_steps`` training steps."""
        import keras

        from skdeep._bridge._precision import precision_scope
        from skdeep._bridge.engine._build import compute_loss_in
        from skdeep.neural_network._architectures import build_tabular_mlp
        from skdeep.neural_network._tabular_training import (
            ProgressSchedule,
            ScheduledAdamW,
        )

        loss, output_activation = self._loss()
        mixed = self.precision not in (None, "float32")
        with precision_scope(self.precision if mixed else None):
            model = build_tabular_mlp(
                n_features,
                n_outputs,
                hidden_layer_sizes=self._check_hidden_layer_sizes(),
                output_activation=output_activation,
                periodic_embedding=self.periodic_embedding,
                n_frequencies=self.n_frequencies,
                embedding_dim=self.embedding_dim,
                frequency_scale=self.frequency_scale,
                feature_scale=self.feature_scale,
                ntk=self.ntk,
                activation=self.activation,
                learnable_mix=self.learnable_mix,
                dropout=self.dropout,
                seed=seed,
                dtype=self.dtype,
                scale_factor=_SCALE_FACTOR if self.parameter_groups else 1.0,
                bias_factor=_BIAS_FACTOR if self.parameter_groups else 1.0,
                precision=self.precision if mixed else None,
                **self._column_layout(),
            )
        optimizer = ScheduledAdamW(
            total_steps,
            decay_schedule=self.regularization_schedule,
            learning_rate=ProgressSchedule(
                self.learning_rate_init, total_steps, self.learning_rate
            ),
            weight_decay=float(self.weight_decay),
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
        )
        # decoupled weight decay on the weight matrices only
        optimizer.exclude_from_weight_decay(
            var_names=["bias", "scale", "mix", "frequencies", "phases", "factor"]
        )
        if self.precision == "mixed_float16":
            # wrapped here rather than by compile, which wraps only under a global
            # policy: the saved model then loads with its loss scaling
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        model.compile(optimizer=optimizer, loss=loss)
        compute_loss_in(model, self.dtype)  # a float64 network's loss in float64
        return model

    def _fit_network(self, Z, Y, sample_weight, feed=None):
        """Build and train the network on the preprocessed rows ``Z`` and encoded
        targets ``Y``; with a stream's ``feed`` (``_fit_stream``), ``Z`` and ``Y``
        are its sample (the initialisation's data) and the feed's batches are
        trained on. With held-out rows (``keep_best``), the best epoch is picked on
        them, and with ``refit`` a second network trains on every row for that
        many epochs."""
        from skdeep._bridge._devices import resolve
        from skdeep._bridge._seeding import reseeded, seeded
        from skdeep._bridge.engine import Predictor

        mixed = self.precision not in (None, "float32")
        if mixed and self.dtype == "float64":
            raise ValueError(
                f"precision={self.precision!r} keeps the weights in float32 and "
                "computes in half precision; it cannot apply to a float64 network. "
                "Set dtype='float32', or precision=None."
            )
        self._check_hidden_layer_sizes()
        placement = resolve(self.device)
        n_samples = len(Z)
        # weights of mean 1: the loss has the scale of an unweighted one, and a
        # weight of 2 counts as a repeated row
        weights = sample_weight * (n_samples / sample_weight.sum())
        data = (Z, Y, weights)
        with seeded(self.random_state) as seed, placement.training():
            if feed is None:
                train, valid = self._split(n_samples, seed)
            else:  # a stream is not split: all of the sample initialises
                train, valid = np.arange(n_samples), np.arange(0)
            model, history = self._train_network(
                data, train, valid, seed, placement, feed, self.max_iter
            )
            self.history_ = {
                k: [float(v) for v in vs] for k, vs in history.history.items()
            }
            if "val_loss" in self.history_:
                self.best_iteration_ = int(np.argmin(self.history_["val_loss"])) + 1
                self.validation_loss_ = float(np.min(self.history_["val_loss"]))
                if self.refit:  # a new network, seeded as the first was
                    every = np.arange(n_samples)
                    with reseeded(seed):
                        model, history = self._train_network(
                            data,
                            every,
                            every[:0],
                            seed,
                            placement,
                            None,
                            self.best_iteration_,
                        )
            else:
                self.best_iteration_ = len(self.history_.get("loss", ()))
                self.validation_loss_ = None
        self.device_ = placement.name
        self._placement = placement
        self.model_ = model
        self._predictor = Predictor(model)
        self.loss_curve_ = [float(v) for v in history.history.get("loss", ())]
        self.n_iter_ = len(self.loss_curve_)

    def _train_network(self, data, train, valid, seed, placement, feed, epochs):
        """A new network trained on the rows ``train`` of ``data`` (``Z, Y,
        weights``) for ``epochs`` epochs of schedules that span ``max_iter``; with
        rows ``valid``, the weights of the epoch of lowest loss on them are kept.
        Returns the network and its ``History``."""
        import keras

        from skdeep._bridge._devices import even_batches
        from skdeep._bridge.engine import TrainingSpec, fit_model
        from skdeep.neural_network import _tabular_streams
        from skdeep.neural_network._callbacks import clone_callbacks
        from skdeep.neural_network._tabular_layers import data_dependent_init
        from skdeep.neural_network._tabular_training import RegularizationSchedule

        Z, Y, weights = data
        batch_size = min(self._batch_size(len(train)), len(train))
        steps = -(-len(train) // batch_size) if feed is None else feed.n_batches
        shape = (Z.shape[1], Y.shape[1], self.max_iter * steps)
        model = self._compiled_network(*shape, seed)
        if self.data_init and self.ntk:
            rows = train
            if len(train) > _INIT_ROWS:
                rng = np.random.RandomState(seed)
                rows = np.sort(rng.choice(train, size=_INIT_ROWS, replace=False))
            data_dependent_init(model, Z[rows], seed, weights[rows])
        callbacks = []
        if self.regularization_schedule != "constant":
            callbacks.append(RegularizationSchedule(self.max_iter))
        validation = None
        if len(valid):
            validation = (Z[valid], Y[valid], weights[valid])
            callbacks.append(
                keras.callbacks.EarlyStopping(
                    monitor="val_loss",
                    patience=self.max_iter + 1,  # keeps the best, never stops
                    restore_best_weights=True,
                )
            )
        callbacks += clone_callbacks(self.callbacks)
        spec = TrainingSpec(
            epochs=epochs,
            batch_size=batch_size,
            shuffle=feed is None,  # a stream's batches: shuffled by the feed
            callbacks=tuple(callbacks),
            verbose=self.verbose,
            seed=seed,
            steps_per_epoch=None if feed is None else feed.n_batches,
        )
        if feed is None:
            x_fit, y_fit, w_fit, validation, spec = even_batches(
                placement, spec, Z[train], Y[train], weights[train], validation
            )
        else:  # PyDataset batches shuffled as the other networks shuffle them
            x_fit, y_fit, w_fit = (
                _tabular_streams.epochs_of_batches(feed, epochs, seed, shuffle=True),
                None,
                None,
            )
        # the folds and candidates of a search, the refits of the common checks:
        # fits of the same network share its compiled step (the engine's
        # ``EpochLoop.share``); only the variables' values differ
        history = fit_model(
            model,
            x_fit,
            y_fit,
            w_fit,
            spec,
            validation_data=validation,
            share=(
                self._network_key(*shape[:2]),
                lambda: self._compiled_network(*shape, seed=0),
            ),
        )
        return model, history

    def _network_outputs(self, X):
        check_is_fitted(self, "model_")
        _streams.refuse_in_predict(self, X)
        X = self._check_X(X)
        with self._predict_placement().predicting():
            outputs = self._predictor(self._transform_X(X))
        return np.asarray(outputs, dtype=np.float64)

    # -- pickling: the network as .keras bytes -----------------------------------

    def __getstate__(self):
        from skdeep.utils._keras_state import keras_models_to_bytes

        state = dict(super().__getstate__())
        state.pop("_predictor", None)
        state.pop("_placement", None)
        return keras_models_to_bytes(state)

    def __setstate__(self, state):
        import skdeep.neural_network._tabular_layers  # noqa: F401 - registers them
        import skdeep.neural_network._tabular_training  # noqa: F401
        from skdeep.utils._keras_state import keras_models_from_bytes

        state = keras_models_from_bytes(state)
        super().__setstate__(state)
        if "model_" in state:
            from skdeep._bridge.engine import Predictor

            self._predictor = Predictor(self.model_)
