"""Fitting: Keras ``fit`` arguments, the training loop's specification, the checks
of a later (partial or warm) fit, streamed data and validation data."""

import warnings

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils.validation import _check_sample_weight

from skdeep._bridge import _routing, _streams
from skdeep._bridge._devices import even_batches, resolve
from skdeep._bridge._precision import precision_scope
from skdeep._bridge._seeding import seeded
from skdeep.utils._random import local_seed
from skdeep.wrappers import _io
from skdeep.wrappers._building import check_input_shape

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


class FittingMixin:
    """``fit``, ``initialize`` and the training loop shared by ``partial_fit``."""

    def initialize(self, X, y=None):
        """Build (and compile) the model for ``(X, y)`` without training it, as
        scikeras does: e.g. to predict with a model given pretrained. Returns
        self."""
        return self._fit(X, y, None, {"epochs": 0}, reset=True)

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
        from skdeep._bridge.engine._build import shared_step

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
            self.target_ = self._make_target(_io.main_target(y))
            # classes declared for this fit only (partial_fit's, a stream's)
            self.__dict__.pop("_partial_classes", None)
        else:
            self._check_dimensions(X)
            X, y = self._validate_inputs_and_targets(X, y, reset=False)
            self._check_like_first_fit(X, _io.main_target(y))
            self._check_labels(_io.main_target(y))
        if sample_weight is not None:
            sample_weight = self._validate_sample_weight(
                sample_weight, _io.first_input(X)
            )
        sample_weight = self._training_weights(
            sample_weight, _io.main_target(y), settings
        )
        validation_data = settings.pop("validation_data")
        placement = resolve(self.device)

        with seeded(self.random_state) as seed, placement.training():
            if reset:
                meta = self._meta(X, self.target_)
                if stream is not None:  # the number of samples is not known
                    meta["X_shape_"] = (None,) + tuple(X.shape[1:])
                for name, value in meta.items():
                    setattr(self, name, value)
                self.y_ndim_ = np.ndim(_io.main_target(y))
                with precision_scope(self.precision):
                    model = self._build_model(meta, X, y)
                X = self._in_input_order(model, X)
                if isinstance(X, list):  # in the model's order from here on
                    self.input_shapes_ = [part.shape[1:] for part in X]
                check_input_shape(model, X)
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
                # a search's folds and candidates rebuild the same network: its
                # fits share one compiled step where its configs fix that step
                share=shared_step(self.model_),
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
        self._check_labels(_io.main_target(y_val))
        weight = validation_data[2] if len(validation_data) == 3 else None
        encoded = self._encode_targets(y_val)
        if weight is None:
            return (X_val, encoded)
        return (X_val, encoded, _check_sample_weight(weight, _io.first_input(X_val)))

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
