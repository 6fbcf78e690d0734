"""What KerasClassifier and KerasRegressor share: parameters, building, fitting."""

import copy
import inspect
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context, clone
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    validate_data,
)

from skdeep._bridge import _routing, _streams
from skdeep._bridge._devices import even_batches, fitted_placement, resolve
from skdeep._bridge._estimator import KerasEstimator
from skdeep._bridge._precision import (
    PRECISIONS,
    apply_precision,
    precision_scope,
    to_float32,
)
from skdeep._bridge._seeding import seeded
from skdeep._bridge.engine._arrays import is_memmap
from skdeep._bridge.engine._build import compute_loss_in
from skdeep.utils._random import local_seed
from skdeep.wrappers import _io

# Keras ``fit`` arguments a call of ``fit(X, y, **kwargs)`` (or ``fit__name``) may set.
_FIT_ARGS = {
    "batch_size",
    "epochs",
    "verbose",
    "callbacks",
    "validation_split",
    "validation_data",
    "shuffle",
    "class_weight",
    "sample_weight",
    "initial_epoch",
    "validation_batch_size",
    "validation_freq",
    # streamed data (generators, PyDataset, tf.data) only
    "steps_per_epoch",
    "validation_steps",
}
_PREDICT_ARGS = {"batch_size", "verbose"}

# epochs="auto" is scikit-learn's MLP rule: at most max_iter=200 epochs, stopping once
# the training loss has not improved by tol=1e-4 for n_iter_no_change=10 epochs.
AUTO_MAX_EPOCHS = 200
AUTO_TOL = 1e-4
AUTO_PATIENCE = 10


def _auto_stopping():
    """The stopping rule of ``epochs="auto"``, as a Keras callback."""
    import keras

    return keras.callbacks.EarlyStopping(
        monitor="loss", min_delta=AUTO_TOL, patience=AUTO_PATIENCE
    )


def _signature_params(cls):
    return set(_routing.signature_args(cls.__init__))


class BaseWrapper(KerasEstimator):
    """Base class of the Keras model wrappers. Not for direct use.

    Parameters beyond the constructor's own are allowed, as in scikeras: the build
    function's arguments (by bare name, ``n_hidden``, or routed, ``model__n_hidden``)
    and routed ``optimizer__``, ``loss__``, ``metrics__``, ``callbacks__``, ``fit__``
    and ``predict__`` parameters. They are ordinary parameters for ``get_params``,
    ``set_params``, ``clone`` and the searches.
    """

    _parameter_constraints: dict = {
        "model": [callable, None],
        "warm_start": ["boolean"],
        "random_state": ["random_state"],
        "optimizer": [str, type, object],
        "loss": [str, type, callable, None, object],
        "metrics": [list, tuple, dict, str, None, object],
        "batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "validation_batch_size": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": [Interval(Integral, 0, 2, closed="both")],
        "callbacks": [list, tuple, None, object],
        "validation_split": [Interval(Real, 0, 1, closed="left")],
        "shuffle": ["boolean"],
        "run_eagerly": ["boolean"],
        "epochs": [Interval(Integral, 0, None, closed="left"), StrOptions({"auto"})],
        "jit_compile": [StrOptions({"auto"}), "boolean"],
        "device": [str, list, tuple],
        "precision": [StrOptions(set(PRECISIONS)), None],
        "input_features": [list, tuple, dict, None],
    }

    def __init__(
        self,
        model=None,
        *,
        warm_start=False,
        random_state=None,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        batch_size=None,
        validation_batch_size=None,
        verbose=0,
        callbacks=None,
        validation_split=0.0,
        shuffle=True,
        run_eagerly=False,
        epochs="auto",
        jit_compile="auto",
        device="auto",
        precision=None,
        input_features=None,
        **kwargs,
    ):
        self.model = model
        self.warm_start = warm_start
        self.random_state = random_state
        self.optimizer = optimizer
        self.loss = loss
        self.metrics = metrics
        self.batch_size = batch_size
        self.validation_batch_size = validation_batch_size
        self.verbose = verbose
        self.callbacks = callbacks
        self.validation_split = validation_split
        self.shuffle = shuffle
        self.run_eagerly = run_eagerly
        self.epochs = epochs
        self.jit_compile = jit_compile
        self.device = device
        self.precision = precision
        self.input_features = input_features
        # Build-function arguments and routed parameters: parameters like the
        # others for get_params / set_params / clone, kept apart from the
        # constructor's attributes (scikit-learn's checks ask for that).
        self._kwargs = dict(kwargs)

    def __getattr__(self, name):
        if not name.startswith("_"):
            kwargs = self.__dict__.get("_kwargs", {})
            if name in kwargs:
                return kwargs[name]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    # ------------------------------------------------------------ parameters

    def _build_function(self):
        if self.model is not None:
            return self.model
        # scikeras's former name of ``model`` (a parameter like the build
        # function's arguments; fit warns)
        build_fn = self.__dict__.get("_kwargs", {}).get("build_fn")
        if build_fn is not None:
            return build_fn
        return getattr(self, "_keras_build_fn", None)

    @property
    def current_epoch(self):
        """Epochs trained so far (scikeras's name for ``current_epoch_``)."""
        return self.__dict__.get("current_epoch_", 0)

    def initialize(self, X, y=None):
        """Build (and compile) the model for ``(X, y)`` without training it, as
        scikeras does: e.g. to predict with a model given pretrained. Returns
        self."""
        return self._fit(X, y, None, {"epochs": 0}, reset=True)

    def _build_args(self):
        """``{name: default}`` of the build function's arguments that are parameters."""
        import keras

        function = self._build_function()
        if function is None or isinstance(function, keras.Model):
            return {}
        return {
            name: default
            for name, default in _routing.signature_args(function).items()
            if name not in _routing.SPECIAL_BUILD_ARGS
        }

    def _extra_params(self):
        """Parameters that are not constructor arguments (build-function arguments
        and routed parameters given so far)."""
        return dict(self.__dict__.get("_kwargs", {}))

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        for name, default in self._build_args().items():
            if name not in params and default is not _EMPTY:
                params[name] = default
        return params

    def set_params(self, **params):
        own = _signature_params(type(self))
        build_args = self._build_args()
        extra = self._extra_params()
        plain = {}
        for name, value in params.items():
            if name in own:
                plain[name] = value
            elif (
                _routing.is_routed(name)
                or name in build_args
                or name in extra
                or name in _routing.KERAS_WRAPPER_DICTS
            ):
                self._kwargs[name] = value
            else:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {sorted(self.get_params(deep=False))}; "
                    "routed parameters take a prefix (model__, optimizer__, loss__, "
                    "metrics__, callbacks__, fit__, predict__)."
                )
        if plain:
            super().set_params(**plain)
        return self

    def __sklearn_clone__(self):
        """scikit-learn's ``clone``, except that a ``keras.Model`` given as ``model``
        is shared, not deep-copied: every fit trains a faithful copy of it (weights,
        frozen flags, optimizer state) and never changes it, so clones and the
        folds of a search all start from the user's model as given."""
        import sys

        keras = sys.modules.get("keras")
        if keras is None or not isinstance(self.model, keras.Model):
            return super().__sklearn_clone__()
        params = self.get_params(deep=False)
        params = {
            name: value if name == "model" else clone(value, safe=False)
            for name, value in params.items()
        }
        new = type(self)(**params)
        for attribute in ("_metadata_request", "_sklearn_output_config"):
            if attribute in self.__dict__:
                setattr(new, attribute, copy.deepcopy(self.__dict__[attribute]))
        return new

    # ------------------------------------------------------------ building

    def _compile_kwargs(self, params, default_loss, dtype=None):
        """``compile``'s loss, optimizer and metrics. With ``dtype="float64"`` (a
        float64 network the wrapper compiles) the loss computes in float64 too:
        Keras computes losses in ``floatx`` (float32) unless told otherwise."""
        loss = self.loss if self.loss is not None else default_loss
        loss_params = _routing.route_params(params, "loss")
        if dtype == "float64" and loss is not None and "dtype" not in loss_params:
            loss = _routing.loss_in_dtype(loss, loss_params, dtype)
        else:
            loss = _routing.make_loss(loss, loss_params)
        return {
            "optimizer": _routing.make_optimizer(
                self.optimizer, _routing.route_params(params, "optimizer")
            ),
            "loss": loss,
            "metrics": _routing.make_metrics(
                self.metrics, _routing.route_params(params, "metrics")
            ),
        }

    def _build_model(self, meta, X, y=None):
        """Call the build function (or clone the given model) and compile it; the
        caller sets the device and the dtype policy (``precision``)."""
        import keras

        function = self._build_function()
        if self.model is None and function is self._extra_params().get("build_fn"):
            warnings.warn(
                "``build_fn`` will be renamed to ``model`` in a future release, at "
                "which point use of ``build_fn`` will raise an Error instead: pass "
                "model=... instead.",
                FutureWarning,
                stacklevel=5,
            )
        if function is None:
            raise ValueError(
                f"{type(self).__name__} needs a `model`: a function returning a "
                "keras.Model, or a keras.Model instance."
            )
        params = self.get_params(deep=False)
        compile_kwargs = self._compile_kwargs(params, self._default_loss(None))
        if isinstance(function, keras.Model):
            model = _copy_model(function, self.precision)
        else:
            model = _call_build_function(
                function, params, meta, compile_kwargs, X, lambda: self._keras_y(y)
            )
        if not isinstance(model, keras.Model):
            name = getattr(function, "__name__", repr(function))
            raise TypeError(
                f"The build function {name} must return a keras.Model; it returned "
                f"{type(model).__name__}."
            )
        compile_params = _routing.route_params(params, "compile")
        if not model.compiled:
            # the default loss can depend on the output width (2 softmax units)
            widths = _output_widths(model, X)
            if len(widths) == 1:
                default = self._default_loss(widths[0])
            else:
                targets = self._output_targets(y, len(widths))
                default = [
                    _default_loss_of(target, width, self._default_loss)
                    for target, width in zip(targets, widths)
                ]
            compile_kwargs = self._compile_kwargs(
                params, default, dtype=_output_dtype(model)
            )
            model.compile(
                **compile_kwargs,
                run_eagerly=self.run_eagerly,
                jit_compile=self.jit_compile,
                **compile_params,
            )
            if _output_dtype(model) == "float64":
                compute_loss_in(model, "float64")
        elif self.run_eagerly:
            model.run_eagerly = True
        return model

    def _meta(self, X, target):
        """What the data tell the build function. With several inputs,
        ``n_features_in_`` and ``X_shape_`` are per input (lists) unless one table
        was split by ``input_features`` (then they are the table's), and
        ``input_shapes_`` lists each input's sample shape."""
        if isinstance(X, (list, dict)):
            parts = list(X.values()) if isinstance(X, dict) else X
            meta = {
                "n_features_in_": [part.shape[1] for part in parts],
                "X_shape_": [part.shape for part in parts],
                "X_dtype_": str(np.result_type(*parts)),
                "input_shapes_": (
                    {key: part.shape[1:] for key, part in X.items()}
                    if isinstance(X, dict)
                    else [part.shape[1:] for part in parts]
                ),
            }
            if self.input_features is not None:  # one table, validated as usual
                meta["n_features_in_"] = self.n_features_in_
                meta["X_shape_"] = (len(parts[0]), self.n_features_in_)
        else:
            meta = {
                "n_features_in_": X.shape[1],
                "X_shape_": X.shape,
                "X_dtype_": str(X.dtype),
            }
        meta.update(
            {
                "target_type_": target.target_type,
                "n_outputs_": 1,
                "n_outputs_expected_": target.n_outputs_expected,
            }
        )
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = self.feature_names_in_
        return meta

    # ------------------------------------------------------------ inputs, outputs

    def _validate_inputs_and_targets(self, X, y, *, reset):
        """X as one table, or one array per model input; y as one target, or one
        per model output (see ``_io``)."""
        multi_x = _io.is_multi_input(X)
        multi_y = _io.is_multi_output(y, _rows_of(X, multi_x))
        if not (multi_x or multi_y):
            X, y = self._validate_training_data(X, y, reset=reset)
            return self._split_table(X), y
        X = self._validate_X(X, reset=reset)
        y = self._validate_targets(y, _io.n_rows(X))
        return X, y

    def _validate_targets(self, y, n_rows):
        """One target, or a list or dict of targets (one per output), validated,
        each with ``n_rows`` rows."""
        if not _io.is_multi_output(y, n_rows):
            y = self._validate_y(y)
            _io.check_rows({"y": y}, "y", n_rows)
            return y
        items = y.items() if isinstance(y, dict) else enumerate(y)
        parts = {key: self._validate_y(part) for key, part in items}
        _io.check_rows(parts, "y", n_rows)
        return parts if isinstance(y, dict) else list(parts.values())

    def _validate_X(self, X, *, reset, dtype="numeric"):
        """One table (split by ``input_features``) or one array per input."""
        if _io.is_multi_input(X):
            if self.input_features is not None:
                raise ValueError(
                    "X is already split into the model's inputs; input_features "
                    "splits one table. Pass one table, or drop input_features."
                )
            X = _io.check_inputs(X, dtype=dtype)
            if reset:
                for name in ("n_features_in_", "feature_names_in_", "input_shapes_"):
                    self.__dict__.pop(name, None)
            elif getattr(self, "input_shapes_", None) is None:
                raise ValueError(
                    f"X holds several inputs; {type(self).__name__} was fitted on "
                    "one table."
                )
            return X
        if reset:
            self.__dict__.pop("input_shapes_", None)
        elif self.input_features is None and hasattr(self, "input_shapes_"):
            raise ValueError(
                f"{type(self).__name__} was fitted on several inputs: pass X as a "
                "tuple, list or dict of arrays, one per model input."
            )
        X = validate_data(self, X, reset=reset, dtype=dtype, allow_nd=True)
        return self._split_table(X)

    def _split_table(self, X):
        if self.input_features is None:
            return X
        return _io.split_columns(
            X, self.input_features, getattr(self, "feature_names_in_", None)
        )

    def _in_input_order(self, model, X):
        """Several inputs as a list in the model's order (a dict by input name)."""
        if not isinstance(X, (list, dict)):
            return X
        return _io.by_position(X, _io.input_names(model), "inputs", model.name)

    def _output_targets(self, y, n_outputs):
        """The targets of the model's outputs, main (``target_``) first; made once
        per fit from ``y`` (one array for every output, or one per output)."""
        targets = self.__dict__.get("_output_targets_cache")
        if targets is not None and len(targets) == n_outputs:
            return targets
        if _io.is_multi_output(y):
            parts = list(y.values()) if isinstance(y, dict) else list(y)
            if len(parts) != n_outputs:
                raise ValueError(
                    f"y holds {len(parts)} targets; the model has {n_outputs} "
                    "outputs. Give one target per output, or one y for all."
                )
        else:
            parts = [y] * n_outputs
        targets = [self.target_] + [
            self._target_class()(np.asarray(part)) for part in parts[1:]
        ]
        self._output_targets_cache = targets
        return targets

    def _bind_targets(self, model, X, y):
        """Fix each output's encoding from its loss and width."""
        widths = _output_widths(model, X)
        if len(widths) == 1 and _io.is_multi_output(y) and len(y) > 1:
            raise ValueError(
                f"y holds {len(y)} targets, but the model has a single output."
            )
        targets = self._output_targets(y, len(widths))
        names = _io.output_names(model)
        for index, (target, width) in enumerate(zip(targets, widths)):
            target.bind(_loss_of_output(model.loss, index, names), width)
        self.output_targets_ = targets[1:]
        self.n_outputs_ = len(widths)
        self.__dict__.pop("_output_targets_cache", None)

    def _encode_targets(self, y):
        """y as the network trains on it: one array, or a list per output."""
        extra = getattr(self, "output_targets_", [])
        if not extra:
            return self.target_.encode(_main_target(y))
        targets = [self.target_, *extra]
        if _io.is_multi_output(y):
            parts = y
            if isinstance(y, dict):
                parts = _io.by_position(
                    y, _io.output_names(self.model_), "outputs", self.model_.name
                )
            return [t.encode(part) for t, part in zip(targets, parts)]
        return [t.encode(y) for t in targets]

    # ------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, **kwargs):
        """Build (or, with ``warm_start``, reuse) the model and train it.

        ``kwargs`` are Keras ``fit`` arguments for this call (``epochs``,
        ``validation_data``, ``callbacks``, ``batch_size``, ``verbose`` ...).

        ``X`` may also stream data larger than memory: a ``tf.data.Dataset``, a
        ``keras.utils.PyDataset`` or a generator of ``(x, y)`` or ``(x, y,
        sample_weight)`` batches, with ``y=None`` (classifiers take
        ``classes=[...]``, every label the batches hold, unless the batches carry
        one-hot rows), trained by Keras' ``model.fit`` (``steps_per_epoch`` and
        ``validation_steps`` apply). A ``np.memmap`` X is read a chunk of rows at a
        time. See the user guide's "Scaling out" page.
        """
        reset = not (self.warm_start and hasattr(self, "model_"))
        return self._fit(X, y, sample_weight, kwargs, reset=reset)

    def _fit_settings(self, params, fit_kwargs):
        unknown = set(fit_kwargs) - _FIT_ARGS
        routed = {
            **(params.get("fit_kwargs") or {}),
            **_routing.route_params(params, "fit"),
        }
        unknown |= set(routed) - _FIT_ARGS
        if unknown:
            raise ValueError(
                f"Unknown fit arguments {sorted(unknown)}; fit(X, y, **kwargs) "
                f"takes Keras fit's {sorted(_FIT_ARGS)}."
            )
        settings = {
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "verbose": self.verbose,
            "validation_split": self.validation_split,
            "validation_batch_size": self.validation_batch_size,
            "shuffle": self.shuffle,
            "validation_freq": 1,
            "initial_epoch": 0,
            "validation_data": None,
            "class_weight": getattr(self, "class_weight", None),
            "steps_per_epoch": None,
            "validation_steps": None,
        }
        settings.update(routed)
        settings.update(fit_kwargs)
        return settings

    def _fit(self, X, y, sample_weight, fit_kwargs, *, reset):
        from skdeep._bridge.engine import TrainingSpec, fit_model

        params = self.get_params(deep=False)
        kwarg_weight = fit_kwargs.pop("sample_weight", None)
        if sample_weight is None:
            sample_weight = kwarg_weight
        classes = fit_kwargs.pop("classes", None)
        settings = self._fit_settings(params, fit_kwargs)
        stream = None
        if _streams.is_stream(X):
            stream = self._open_stream(X, y, sample_weight, classes, settings, reset)
            X, y, _ = stream.first  # what the data tell, read from the first batch
        else:
            _streams.check_array_fit(classes, settings["steps_per_epoch"])
        if reset:
            X, y = self._validate_inputs_and_targets(X, y, reset=True)
            self.target_ = self._make_target(_main_target(y))
            # classes declared for this fit only (partial_fit's, a stream's)
            self.__dict__.pop("_partial_classes", None)
        else:
            self._check_dimensions(X)
            X, y = self._validate_inputs_and_targets(X, y, reset=False)
            self._check_like_first_fit(X, _main_target(y))
            self._check_labels(_main_target(y))
        if sample_weight is not None:
            sample_weight = self._validate_sample_weight(sample_weight, _first(X))
        sample_weight = self._training_weights(sample_weight, _main_target(y), settings)
        validation_data = settings.pop("validation_data")
        placement = resolve(self.device)

        with seeded(self.random_state) as seed, placement.training():
            if reset:
                meta = self._meta(X, self.target_)
                if stream is not None:  # the number of samples is not known
                    meta["X_shape_"] = (None,) + tuple(X.shape[1:])
                for name, value in meta.items():
                    setattr(self, name, value)
                self.y_ndim_ = np.ndim(_main_target(y))
                with precision_scope(self.precision):
                    model = self._build_model(meta, X, y)
                X = self._in_input_order(model, X)
                if isinstance(X, list):  # in the model's order from here on
                    self.input_shapes_ = [part.shape[1:] for part in X]
                _check_input_shape(model, X)
                self._bind_targets(model, X, y)
                self.model_ = model
                self.history_ = {}
                self.current_epoch_ = 0
            if not reset:
                X = self._in_input_order(self.model_, X)
            # encoded once the model's output (and so the encoding) is known
            validation_data = self._validation_data(validation_data)
            callbacks = _routing.clone_callbacks(
                self.callbacks, _routing.route_params(params, "callbacks")
            )
            extra_callbacks = settings.pop("callbacks", None)
            if extra_callbacks is not None and extra_callbacks is not self.callbacks:
                # fit(..., callbacks=[...]) objects are the caller's, used as given
                extra = extra_callbacks
                callbacks += list(
                    extra if isinstance(extra, (list, tuple)) else [extra]
                )
            epochs = settings.pop("epochs")
            if isinstance(epochs, str) and epochs == "auto":
                epochs = AUTO_MAX_EPOCHS
                callbacks.append(_auto_stopping())
            epochs = int(epochs)
            initial = self.current_epoch_ + int(settings.pop("initial_epoch") or 0)
            spec = TrainingSpec(
                epochs=initial + epochs,
                initial_epoch=initial,
                batch_size=int(settings.pop("batch_size") or 32),
                # a generator's or tf.data's order is its own (Keras ignores
                # shuffle there, with a warning); a PyDataset's batches are shuffled
                shuffle=bool(settings.pop("shuffle")) and _streams.shuffles(stream),
                validation_split=float(settings.pop("validation_split") or 0.0),
                validation_batch_size=settings.pop("validation_batch_size"),
                validation_freq=int(settings.pop("validation_freq")),
                callbacks=tuple(callbacks),
                verbose=int(settings.pop("verbose")),
                seed=local_seed(seed),
                steps_per_epoch=settings.pop("steps_per_epoch"),
                validation_steps=settings.pop("validation_steps"),
            )
            if stream is None:
                x_fit, y_fit, sample_weight, validation_data, spec = even_batches(
                    placement,
                    spec,
                    X,
                    self._encode_targets(y),
                    sample_weight,
                    validation_data,
                )
            else:  # batches as they come (a data-parallel fit's are the user's)
                x_fit, y_fit = stream.encoded(self._encode_batch), None
            history = fit_model(
                self.model_,
                x_fit,
                y_fit,
                sample_weight,
                spec,
                validation_data=validation_data,
            )
        self._extend_history(history.history)
        self.current_epoch_ = initial + len(history.epoch)
        self.device_ = placement.name
        self._placement = placement
        self._check_finite_loss()
        from skdeep._bridge.engine import Predictor

        self._predictor = Predictor(self.model_)
        return self

    def _check_dimensions(self, X):
        """scikeras's error for a later fit whose X has other dimensions than the
        first fit's (before scikit-learn's check of the number of features)."""
        ndim = getattr(X, "ndim", None)
        expected = getattr(self, "X_shape_", None)
        if ndim is None or expected is None or _io.is_multi_input(X):
            return
        if ndim != len(expected):
            raise ValueError(
                f"X has {ndim} dimensions, but this {type(self).__name__} is "
                f"expecting {len(expected)} dimensions in X."
            )

    def _check_like_first_fit(self, X, y):
        """scikeras's errors for a later ``partial_fit`` (or warm fit) whose data
        differ from the first fit's: X's dtype, dimensions and sample shape, y's
        dimensions."""
        name = type(self).__name__
        if not isinstance(X, list):
            X_dtype = np.dtype(getattr(self, "X_dtype_", X.dtype))
            if not np.can_cast(X.dtype, X_dtype):
                raise ValueError(
                    f"Got X with dtype {X.dtype}, but this {name} expected {X_dtype} "
                    f"and casting from {X.dtype} to {X_dtype} is not safe!"
                )
            expected = tuple(self.X_shape_)
            if X.ndim != len(expected):
                raise ValueError(
                    f"X has {X.ndim} dimensions, but this {name} is expecting "
                    f"{len(expected)} dimensions in X."
                )
            if X.shape[1:] != expected[1:]:
                raise ValueError(
                    f"X has shape {X.shape[1:]}, but this {name} is expecting X of "
                    f"shape {expected[1:]}"
                )
        y_ndim = self.__dict__.get("y_ndim_")
        if y_ndim is not None and np.ndim(y) != y_ndim:
            raise ValueError(
                f"y has {np.ndim(y)} dimensions, but this {name} is expecting "
                f"{y_ndim} dimensions in y."
            )

    def _check_finite_loss(self):
        losses = self.history_.get("loss", [])
        if losses and not np.isfinite(losses[-1]):
            warnings.warn(
                f"The training loss is {losses[-1]} after epoch "
                f"{self.current_epoch_}: training diverged. Lower the learning "
                "rate (optimizer__learning_rate) or scale the inputs.",
                RuntimeWarning,
                stacklevel=3,
            )

    def _open_stream(self, X, y, sample_weight, classes, settings, reset):
        """Check what a streamed fit cannot take; read the stream's first batch."""
        _streams.check_beside_stream(y, sample_weight)
        if settings["validation_split"]:
            raise ValueError(
                f"validation_split={settings['validation_split']} needs arrays; "
                "with a streamed X pass validation_data (arrays, or another "
                "stream) instead."
            )
        if settings["class_weight"] is not None:
            raise ValueError(
                "class_weight needs the targets in memory; with a streamed X "
                "yield batches (x, y, sample_weight) with the weights you want."
            )
        stream = _streams.Stream(X)
        if reset:
            self._stream_classes(classes, stream.first[1])
        elif classes is not None:
            raise ValueError(
                "classes is read at the first fit only (it fixes the model's output)."
            )
        return stream

    def _stream_classes(self, classes, first_y):
        """Classifiers: record the classes a streamed fit declares."""
        if classes is not None:
            raise ValueError(
                f"classes applies to classifiers; {type(self).__name__} got classes."
            )

    def _encode_batch(self, x, y, sample_weight):
        """One streamed batch as the model trains on it (NumPy, in the data
        pipeline)."""
        y = np.asarray(y)
        self._check_labels(y)
        return x, self.target_.encode(y), sample_weight

    def _validation_data(self, validation_data):
        if validation_data is None:
            return None
        if _streams.is_stream(validation_data):
            return _streams.Stream(validation_data).encoded(self._encode_batch)
        if not isinstance(validation_data, (list, tuple)) or len(
            validation_data
        ) not in (
            2,
            3,
        ):
            raise ValueError(
                "validation_data must be a tuple (X_val, y_val) or (X_val, y_val, "
                "sample_weight_val)."
            )
        X_val, y_val = validation_data[:2]
        X_val = self._validate_X(X_val, reset=False)
        X_val = self._in_input_order(self.model_, X_val)
        y_val = self._validate_targets(y_val, _io.n_rows(X_val))
        self._check_labels(_main_target(y_val))
        weight = validation_data[2] if len(validation_data) == 3 else None
        encoded = self._encode_targets(y_val)
        if weight is None:
            return (X_val, encoded)
        return (X_val, encoded, _check_sample_weight(weight, _first(X_val)))

    def _training_weights(self, sample_weight, y, settings):
        """Sample weights for Keras, rescaled to average 1 so that an integer weight
        means that many copies of the sample (scikit-learn's convention) whatever
        the batch size."""
        class_weight = settings.pop("class_weight", None)
        if class_weight is not None:
            # (``sample_weight`` is validated; the user's class weights may still
            # bring negative or NaN weights, or a zero sum)
            weighted = self._apply_class_weight(sample_weight, y, class_weight)
            sample_weight = self._validate_sample_weight(weighted, y)
        if sample_weight is None:
            return None
        return sample_weight * (len(sample_weight) / sample_weight.sum())

    def _apply_class_weight(self, sample_weight, y, class_weight):
        raise ValueError(
            f"class_weight applies to classifiers only; {type(self).__name__} got "
            f"class_weight={class_weight!r}."
        )

    # ------------------------------------------------------------ predicting

    def _raw_predict(self, X, *, all_outputs=False, mc_samples=None, **kwargs):
        """The network's main output (or, with ``all_outputs``, a list of every
        output in the model's order). With ``mc_samples``, each is an array of
        that many draws in training mode (Monte Carlo dropout), stacked first."""
        check_is_fitted(self, "model_")
        # straight to the network's input dtype: one conversion, and the finiteness
        # check reads the converted array
        _streams.refuse_in_predict(self, X)
        # a memory-mapped X is converted a chunk at a time by the predictor
        dtype = "numeric" if is_memmap(X) else _input_dtype(self.model_)
        X = self._validate_X(X, reset=False, dtype=dtype)
        X = self._in_input_order(self.model_, X)
        self._check_sample_shapes(X)
        # predict__ parameters are never constructor arguments: no get_params here
        params = _routing.route_params(self._extra_params(), "predict")
        params.update(kwargs)
        unknown = set(params) - _PREDICT_ARGS
        if unknown:
            raise ValueError(
                f"Unknown predict arguments {sorted(unknown)}; predict takes "
                f"{sorted(_PREDICT_ARGS)}."
            )
        if mc_samples is not None:
            return self._sample_outputs(X, mc_samples, all_outputs, params)
        with self._predict_placement().predicting():
            outputs = self._predictor(X, batch_size=params.get("batch_size"))
        return self._select_outputs(to_float32(outputs), all_outputs)

    def _sample_outputs(self, X, mc_samples, all_outputs, params):
        from skdeep._bridge.engine._predict import sample_outputs

        if isinstance(mc_samples, bool) or not isinstance(mc_samples, Integral):
            raise TypeError(f"mc_samples must be an int, got {mc_samples!r}.")
        if mc_samples < 1:
            raise ValueError(f"mc_samples must be at least 1, got {mc_samples}.")
        with self._predict_placement().predicting():
            draws = sample_outputs(
                self.model_,
                X,
                int(mc_samples),
                _mc_seed(self.random_state),
                batch_size=params.get("batch_size"),
            )
        draws = [self._select_outputs(to_float32(d), True) for d in draws]
        stacked = [np.stack(parts) for parts in zip(*draws)]
        return stacked if all_outputs else stacked[0]

    def _select_outputs(self, outputs, all_outputs):
        if isinstance(outputs, dict):
            names = _io.output_names(self.model_) or list(outputs)
            outputs = [outputs[name] for name in names]
        if not isinstance(outputs, (list, tuple)):
            return [outputs] if all_outputs else outputs
        return list(outputs) if all_outputs else outputs[0]

    def _check_sample_shapes(self, X):
        """Refuse samples of another shape than the fit's (per input)."""
        shapes = getattr(self, "input_shapes_", None)
        if shapes is None:
            expected, got = [tuple(self.X_shape_[1:])], [X.shape[1:]]
        else:
            expected = [tuple(shape) for shape in shapes]
            got = [part.shape[1:] for part in X]
        if expected != got:
            raise ValueError(
                f"X has samples of shape {got if len(got) > 1 else got[0]}; "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{expected if len(expected) > 1 else expected[0]}."
            )

    def _keras_y(self, y):
        """y as Keras's own wrappers hand it to a build function ``model(X, y)``:
        one-hot rows for class labels, a 2-D array otherwise."""
        y = np.asarray(_main_target(y))
        target = self.target_
        if getattr(target, "target_type", None) in ("binary", "multiclass"):
            return np.eye(len(target.classes_))[target.class_indices(y)]
        return y.reshape(len(y), -1)

    def _all_targets(self):
        return [self.target_, *getattr(self, "output_targets_", [])]

    def _predict_placement(self):
        """Where predictions run: the fitted devices (after loading elsewhere, what
        ``device_`` names if this process has it, else "auto")."""
        placement = self.__dict__.get("_placement")
        if placement is None:
            placement = fitted_placement(getattr(self, "device_", "auto"))
            self._placement = placement
        return placement

    # ------------------------------------------------------------ pickling

    def __getstate__(self):
        from skdeep.utils._keras_state import keras_models_to_bytes

        state = dict(super().__getstate__())  # object.__getstate__ is not a copy
        state.pop("_predictor", None)
        state.pop("_placement", None)
        state.pop("_output_targets_cache", None)
        if "target_" in state:  # plain data: skops files need no internal type
            state["target_"] = state["target_"].state()
        if "output_targets_" in state:
            state["output_targets_"] = [t.state() for t in state["output_targets_"]]
        # networks as .keras bytes, loaded in safe mode (docs/persistence.md)
        return keras_models_to_bytes(state)

    def __setstate__(self, state):
        from skdeep.utils._keras_state import keras_models_from_bytes

        state = keras_models_from_bytes(state)
        state.setdefault("input_features", None)  # files from before the parameter
        if isinstance(state.get("target_"), dict):
            state["target_"] = self._target_class().from_state(state["target_"])
        if "output_targets_" in state:
            state["output_targets_"] = [
                self._target_class().from_state(t) for t in state["output_targets_"]
            ]
        super().__setstate__(state)
        if "model_" in state:
            from skdeep._bridge.engine import Predictor

            self._predictor = Predictor(self.model_)


_EMPTY = inspect.Parameter.empty


def _copy_model(model, precision=None):
    """A faithful copy of the user's ``model``: its weights, frozen flags, compiled
    loss and optimizer (with its state), so the user's instance is never trained
    in place; with ``precision``, a copy whose layers compute in that dtype policy
    (same weights; the optimizer starts afresh). Raises a ValueError naming the fix
    where no faithful copy exists."""
    import keras

    from skdeep.utils._keras_state import copy_model, custom_objects_of

    subclassed = type(model).__module__.split(".")[0] != "keras"
    if subclassed and type(model).get_config is keras.Model.get_config:
        # Keras records a subclassed model's constructor defaults, not the
        # arguments it was given, so a copy through its config can silently
        # differ from the model passed.
        raise ValueError(
            f"Cannot copy the subclassed Keras model {type(model).__name__!r} "
            "faithfully: it has no get_config(). Pass the class and its arguments "
            f"instead (model={type(model).__name__}, model__units=...), a build "
            "function, or define get_config() on the model."
        )
    copy = copy_model(model)
    if precision is None:
        return copy
    if subclassed:
        raise ValueError(
            f"precision={precision!r} cannot be applied to the subclassed model "
            f"instance {type(model).__name__!r}: pass the class and its arguments "
            "(model=..., model__units=...) or a build function instead."
        )
    with keras.saving.custom_object_scope(custom_objects_of(copy)):
        clone = apply_precision(copy, precision)
        clone.set_weights(copy.get_weights())
        if copy.compiled:
            clone.compile_from_config(copy.get_compile_config())
    return clone


def _call_build_function(function, params, meta, compile_kwargs, X=None, keras_y=None):
    arguments = _routing.signature_args(function)
    routed = {
        **(params.get("model_kwargs") or {}),
        **_routing.route_params(params, "model"),
    }
    kwargs = {}
    missing = []
    for name, default in arguments.items():
        if name == "meta":
            kwargs[name] = dict(meta)
        elif name == "compile_kwargs":
            kwargs[name] = dict(compile_kwargs)
        elif name == "params":
            kwargs[name] = dict(params)
        elif name == "X" and X is not None:
            kwargs[name] = X
        elif name == "y" and keras_y is not None:
            kwargs[name] = keras_y()
        elif name in routed:
            kwargs[name] = routed[name]
        elif name in params:
            kwargs[name] = params[name]
        elif default is _EMPTY:
            missing.append(name)
    if missing:
        raise ValueError(
            f"The build function {getattr(function, '__name__', function)} needs "
            f"{missing}: give them as parameters (e.g. model__{missing[0]}=...)."
        )
    if _routing.accepts_var_keyword(function):
        for name, value in routed.items():
            kwargs.setdefault(name, value)
    # NumPy scalars (np.arange in a search space) as Python numbers: Keras layers
    # check isinstance(units, int)
    kwargs = {
        name: value.item() if isinstance(value, np.generic) else value
        for name, value in kwargs.items()
    }
    try:
        return function(**kwargs)
    except Exception as error:
        if hasattr(error, "add_note"):
            error.add_note(
                f"(raised by the build function "
                f"{getattr(function, '__name__', function)} called with "
                f"{sorted(kwargs)})"
            )
        raise


def _input_dtype(model):
    """The dtype to hand the model: its single floating input's, else "numeric"."""
    inputs = getattr(model, "inputs", None)
    if inputs and len(inputs) == 1:
        dtype = str(inputs[0].dtype)
        if dtype.startswith("float"):
            return dtype
    return "numeric"


def _check_input_shape(model, X):
    """Refuse data whose sample shapes the model's inputs do not take."""
    inputs = getattr(model, "inputs", None)
    parts = X if isinstance(X, list) else [X]
    if not inputs or len(inputs) != len(parts):
        return  # subclassed: Keras checks when the model is called
    for index, (tensor, part) in enumerate(zip(inputs, parts)):
        expected = tuple(tensor.shape[1:])
        got = part.shape[1:]
        fits = len(expected) == len(got) and all(
            e is None or e == g for e, g in zip(expected, got)
        )
        if not fits:
            which = "X" if len(parts) == 1 else f"Input {index} ({tensor.name!r}) of X"
            raise ValueError(
                f"{which} has samples of shape {got}, but the model's input takes "
                f"samples of shape {expected}. Reshape X, or build the model from "
                "meta['X_shape_'] / meta['n_features_in_']."
            )


def _output_widths(model, X):
    """Units of each of the model's outputs (building the model if needed)."""
    import keras

    outputs = getattr(model, "outputs", None)
    if outputs is None:
        floatx = keras.backend.floatx()
        if isinstance(X, list):
            sample = [keras.KerasTensor((None,) + p.shape[1:], dtype=floatx) for p in X]
        else:
            sample = keras.KerasTensor((None,) + X.shape[1:], dtype=floatx)
        try:
            outputs = model.compute_output_spec(sample)
        except Exception:  # noqa: BLE001 - fall back to a real call on one row
            head = [p[:1].astype(floatx) for p in X] if isinstance(X, list) else None
            outputs = model(head if head is not None else X[:1].astype(floatx))
    if isinstance(outputs, dict):
        names = _io.output_names(model)
        outputs = [outputs[n] for n in names] if names else list(outputs.values())
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    widths = []
    for output in outputs:
        shape = tuple(output.shape)
        if len(shape) > 2:
            raise ValueError(
                f"The model's output has shape {shape}; the wrappers need one row "
                "per sample, (n_samples, n_outputs). Flatten the model's output "
                "(e.g. with keras.layers.Flatten())."
            )
        widths.append(1 if len(shape) < 2 else int(shape[-1]))
    return widths


def _loss_of_output(loss, index, names):
    """The compiled loss of output ``index`` (a list, a dict by output name, or one
    loss for all)."""
    if isinstance(loss, (list, tuple)):
        return loss[index] if index < len(loss) else None
    if isinstance(loss, dict):
        return loss.get(names[index]) if names else None
    return loss


def _default_loss_of(target, width, main_default):
    default = getattr(target, "default_loss", None)
    return default(width) if default is not None else main_default(width)


def _mc_seed(random_state):
    """The seed of Monte Carlo draws: ``random_state``'s (an int gives the same
    draws at every call); fresh entropy for None, never NumPy's global state."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(random_state.randint(2**31 - 1))


def _rows_of(X, multi_x):
    """The number of samples of a not yet validated X (None when unknown)."""
    try:
        return _io.n_rows(X) if multi_x else _num_samples(X)
    except TypeError:
        return None


def _main_target(y):
    return _io.first_output(y) if _io.is_multi_output(y) else y


def _first(X):
    if isinstance(X, dict):
        return next(iter(X.values()))
    return X[0] if isinstance(X, list) else X


def _output_dtype(model):
    """The dtype of the model's (first) output, or None when it is not known."""
    outputs = getattr(model, "outputs", None)
    if not outputs:
        return None
    return str(getattr(outputs[0], "dtype", None) or "") or None
