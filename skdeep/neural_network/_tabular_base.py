"""What the tabular regressor and classifier share (``_tabular``): parameters,
preprocessing, the held-out rows, building and training the network, pickling."""

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

from skdeep._bridge._estimator import KerasEstimator
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
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "keep_best": [StrOptions({"auto"}), "boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "dtype": [StrOptions({"float32", "float64"})],
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

    # -- training ----------------------------------------------------------------

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

    def _fit_network(self, Z, Y, sample_weight, loss, output_activation):
        import keras

        from skdeep._bridge._seeding import seeded
        from skdeep._bridge.engine import Predictor, TrainingSpec, fit_model
        from skdeep._bridge.engine._build import compute_loss_in
        from skdeep.neural_network._architectures import build_tabular_mlp
        from skdeep.neural_network._callbacks import clone_callbacks
        from skdeep.neural_network._tabular_layers import data_dependent_init
        from skdeep.neural_network._tabular_training import (
            ProgressSchedule,
            RegularizationSchedule,
            ScheduledAdamW,
        )

        sizes = self._check_hidden_layer_sizes()
        n_samples = len(Z)
        # weights of mean 1: the loss has the scale of an unweighted one, and a
        # weight of 2 counts as a repeated row
        weights = sample_weight * (n_samples / sample_weight.sum())
        with seeded(self.random_state) as seed:
            train, valid = self._split(n_samples, seed)
            model = build_tabular_mlp(
                Z.shape[1],
                Y.shape[1],
                hidden_layer_sizes=sizes,
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
                **self._column_layout(),
            )
            if self.data_init and self.ntk:
                rng = np.random.RandomState(seed)
                rows = rng.choice(train, size=min(len(train), 1024), replace=False)
                data_dependent_init(model, Z[rows], seed)
            batch_size = min(self.batch_size, len(train))
            total_steps = self.max_iter * -(-len(train) // batch_size)
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
            model.compile(optimizer=optimizer, loss=loss)
            compute_loss_in(model, self.dtype)  # a float64 network's loss in float64
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
            history = fit_model(
                model,
                Z[train],
                Y[train],
                weights[train],
                TrainingSpec(
                    epochs=self.max_iter,
                    batch_size=batch_size,
                    shuffle=True,
                    callbacks=tuple(callbacks),
                    verbose=self.verbose,
                    seed=seed,
                ),
                validation_data=validation,
            )
        self.model_ = model
        self._predictor = Predictor(model)
        self.history_ = {k: [float(v) for v in vs] for k, vs in history.history.items()}
        self.n_iter_ = len(self.history_.get("loss", ()))
        self.loss_curve_ = list(self.history_.get("loss", ()))
        if "val_loss" in self.history_:
            self.best_iteration_ = int(np.argmin(self.history_["val_loss"])) + 1
            self.validation_loss_ = float(np.min(self.history_["val_loss"]))
        else:
            self.best_iteration_ = self.n_iter_
            self.validation_loss_ = None

    def _network_outputs(self, X):
        check_is_fitted(self, "model_")
        X = self._check_X(X)
        return np.asarray(self._predictor(self._transform_X(X)), dtype=np.float64)

    # -- pickling: the network as .keras bytes -----------------------------------

    def __getstate__(self):
        from skdeep.utils._keras_state import keras_models_to_bytes

        state = dict(super().__getstate__())
        state.pop("_predictor", None)
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
