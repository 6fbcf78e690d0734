"""What KerasClassifier and KerasRegressor share: parameters, building, fitting."""

import inspect
import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_sample_weight,
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
        return getattr(self, "_keras_build_fn", None)

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
            elif _routing.is_routed(name) or name in build_args or name in extra:
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

    def _build_model(self, meta, X):
        """Call the build function (or clone the given model) and compile it; the
        caller sets the device and the dtype policy (``precision``)."""
        import keras

        function = self._build_function()
        if function is None:
            raise ValueError(
                f"{type(self).__name__} needs a `model`: a function returning a "
                "keras.Model, or a keras.Model instance."
            )
        params = self.get_params(deep=False)
        compile_kwargs = self._compile_kwargs(params, self._default_loss(None))
        if isinstance(function, keras.Model):
            model = _clone_model(function, self.precision)
        else:
            model = _call_build_function(function, params, meta, compile_kwargs)
        if not isinstance(model, keras.Model):
            name = getattr(function, "__name__", repr(function))
            raise TypeError(
                f"The build function {name} must return a keras.Model; it returned "
                f"{type(model).__name__}."
            )
        compile_params = _routing.route_params(params, "compile")
        if not model.compiled:
            # the default loss can depend on the output width (2 softmax units)
            width = _output_width(model, X)
            compile_kwargs = self._compile_kwargs(
                params, self._default_loss(width), dtype=_output_dtype(model)
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
        meta = {
            "n_features_in_": X.shape[1],
            "X_shape_": X.shape,
            "X_dtype_": str(X.dtype),
            "target_type_": target.target_type,
            "n_outputs_": 1,
            "n_outputs_expected_": target.n_outputs_expected,
        }
        if hasattr(self, "feature_names_in_"):
            meta["feature_names_in_"] = self.feature_names_in_
        return meta

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
        routed = _routing.route_params(params, "fit")
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
            X, y = self._validate_training_data(X, y, reset=True)
            self.target_ = self._make_target(y)
            # classes declared for this fit only (partial_fit's, a stream's)
            self.__dict__.pop("_partial_classes", None)
        else:
            X, y = self._validate_training_data(X, y, reset=False)
            self._check_labels(y)
        if sample_weight is not None:
            sample_weight = self._validate_sample_weight(sample_weight, X)
        sample_weight = self._training_weights(sample_weight, y, settings)
        validation_data = settings.pop("validation_data")
        placement = resolve(self.device)

        with seeded(self.random_state) as seed, placement.training():
            if reset:
                meta = self._meta(X, self.target_)
                if stream is not None:  # the number of samples is not known
                    meta["X_shape_"] = (None,) + tuple(X.shape[1:])
                for name, value in meta.items():
                    setattr(self, name, value)
                with precision_scope(self.precision):
                    model = self._build_model(meta, X)
                _check_input_shape(model, X)
                self.target_.bind(model.loss, _output_width(model, X))
                self.model_ = model
                self.history_ = {}
                self.current_epoch_ = 0
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
                    self.target_.encode(y),
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
        X_val = validate_data(self, X_val, reset=False, dtype="numeric", allow_nd=True)
        y_val = self._validate_y(y_val)
        self._check_labels(y_val)
        weight = validation_data[2] if len(validation_data) == 3 else None
        encoded = self.target_.encode(y_val)
        if weight is None:
            return (X_val, encoded)
        return (X_val, encoded, _check_sample_weight(weight, X_val))

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

    def _raw_predict(self, X, **kwargs):
        check_is_fitted(self, "model_")
        # straight to the network's input dtype: one conversion, and the finiteness
        # check reads the converted array
        _streams.refuse_in_predict(self, X)
        # a memory-mapped X is converted a chunk at a time by the predictor
        dtype = "numeric" if is_memmap(X) else _input_dtype(self.model_)
        X = validate_data(self, X, reset=False, dtype=dtype, allow_nd=True)
        if X.shape[1:] != tuple(self.X_shape_[1:]):
            raise ValueError(
                f"X has shape {X.shape}; {type(self).__name__} was fitted on samples "
                f"of shape {tuple(self.X_shape_[1:])}."
            )
        # predict__ parameters are never constructor arguments: no get_params here
        params = _routing.route_params(self._extra_params(), "predict")
        params.update(kwargs)
        unknown = set(params) - _PREDICT_ARGS
        if unknown:
            raise ValueError(
                f"Unknown predict arguments {sorted(unknown)}; predict takes "
                f"{sorted(_PREDICT_ARGS)}."
            )
        with self._predict_placement().predicting():
            outputs = self._predictor(X, batch_size=params.get("batch_size"))
        return to_float32(outputs)

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
        if "target_" in state:  # plain data: skops files need no internal type
            state["target_"] = state["target_"].state()
        # networks as .keras bytes, loaded in safe mode (docs/persistence.md)
        return keras_models_to_bytes(state)

    def __setstate__(self, state):
        from skdeep.utils._keras_state import keras_models_from_bytes

        state = keras_models_from_bytes(state)
        if isinstance(state.get("target_"), dict):
            state["target_"] = self._target_class().from_state(state["target_"])
        super().__setstate__(state)
        if "model_" in state:
            from skdeep._bridge.engine import Predictor

            self._predictor = Predictor(self.model_)


_EMPTY = inspect.Parameter.empty


def _clone_model(model, precision=None):
    """A new model with the architecture, compile settings and fresh weights of
    ``model`` (folds never share weights; the user's model is left untouched); with
    ``precision``, its layers compute in that dtype policy."""
    import keras

    subclassed = not isinstance(model, (keras.Sequential, keras.Model)) or (
        type(model).__module__.split(".")[0] != "keras"
    )
    if subclassed and type(model).get_config is keras.Model.get_config:
        # Keras records a subclassed model's constructor defaults, not the
        # arguments it was given, so a clone through its config can silently
        # differ from the model passed.
        raise ValueError(
            f"Cannot copy the subclassed Keras model {type(model).__name__!r} "
            "faithfully: it has no get_config(). Pass the class and its arguments "
            f"instead (model={type(model).__name__}, model__units=...), a build "
            "function, or define get_config() on the model."
        )
    try:
        if precision is None or subclassed:
            # a subclassed model's layers take the policy of the caller's scope
            clone = keras.models.clone_model(model)
        else:
            clone = apply_precision(model, precision)
    except Exception as error:  # noqa: BLE001 - any failure means: cannot clone
        raise ValueError(
            f"Cannot clone the Keras model {model.name!r} ({type(model).__name__}): "
            f"{error}. Pass a build function that returns a new model instead."
        ) from error
    if model.compiled:
        clone.compile_from_config(model.get_compile_config())
    return clone


def _call_build_function(function, params, meta, compile_kwargs):
    arguments = _routing.signature_args(function)
    routed = _routing.route_params(params, "model")
    kwargs = {}
    missing = []
    for name, default in arguments.items():
        if name == "meta":
            kwargs[name] = dict(meta)
        elif name == "compile_kwargs":
            kwargs[name] = dict(compile_kwargs)
        elif name == "params":
            kwargs[name] = dict(params)
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
    """Refuse data whose sample shape the model's (single) input does not take."""
    inputs = getattr(model, "inputs", None)
    if not inputs or len(inputs) != 1:
        return  # subclassed or multi-input: Keras checks when the model is called
    expected = tuple(inputs[0].shape[1:])
    got = X.shape[1:]
    fits = len(expected) == len(got) and all(
        e is None or e == g for e, g in zip(expected, got)
    )
    if not fits:
        raise ValueError(
            f"X has samples of shape {got}, but the model's input takes samples of "
            f"shape {expected}. Reshape X, or build the model from "
            "meta['X_shape_'] / meta['n_features_in_']."
        )


def _output_width(model, X):
    """Units of the model's single output (building the model if needed)."""
    import keras

    outputs = getattr(model, "outputs", None)
    if outputs is None:
        sample = keras.KerasTensor((None,) + X.shape[1:], dtype=keras.backend.floatx())
        try:
            outputs = model.compute_output_spec(sample)
        except Exception:  # noqa: BLE001 - fall back to a real call on one row
            outputs = model(X[:1].astype(keras.backend.floatx()))
    if isinstance(outputs, dict):
        outputs = list(outputs.values())
    if isinstance(outputs, (list, tuple)):
        if len(outputs) != 1:
            raise ValueError(
                f"The model has {len(outputs)} outputs; the wrappers train models "
                "with a single output tensor."
            )
        outputs = outputs[0]
    shape = tuple(outputs.shape)
    if len(shape) > 2:
        raise ValueError(
            f"The model's output has shape {shape}; the wrappers need one row per "
            "sample, (n_samples, n_outputs). Flatten the model's output (for "
            f"samples of shape {X.shape[1:]}, e.g. with keras.layers.Flatten())."
        )
    return 1 if len(shape) < 2 else int(shape[-1])


def _output_dtype(model):
    """The dtype of the model's (first) output, or None when it is not known."""
    outputs = getattr(model, "outputs", None)
    if not outputs:
        return None
    return str(getattr(outputs[0], "dtype", None) or "") or None
