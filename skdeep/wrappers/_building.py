"""Building the model: calling the build function (or copying the model given),
compiling it, and what the data tell the build function (``meta``)."""

import warnings

import numpy as np

from skdeep._bridge import _routing
from skdeep._bridge.engine._build import compute_loss_in
from skdeep.wrappers import _io
from skdeep.wrappers._instances import copy_model_instance
from skdeep.wrappers._params import EMPTY


class BuildingMixin:
    """Build, compile and bind the targets of the model a fit trains."""

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
            model = copy_model_instance(function, self.precision)
        else:
            model = call_build_function(
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
            widths = output_widths(model, X)
            if len(widths) == 1:
                default = self._default_loss(widths[0])
            else:
                targets = self._output_targets(y, len(widths))
                default = [
                    default_loss_of(target, width, self._default_loss)
                    for target, width in zip(targets, widths)
                ]
            compile_kwargs = self._compile_kwargs(
                params, default, dtype=output_dtype(model)
            )
            model.compile(
                **compile_kwargs,
                run_eagerly=self.run_eagerly,
                jit_compile=self.jit_compile,
                **compile_params,
            )
            if output_dtype(model) == "float64":
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

    def _bind_targets(self, model, X, y):
        """Fix each output's encoding from its loss and width."""
        widths = output_widths(model, X)
        if len(widths) == 1 and _io.is_multi_output(y) and len(y) > 1:
            raise ValueError(
                f"y holds {len(y)} targets, but the model has a single output."
            )
        targets = self._output_targets(y, len(widths))
        names = _io.output_names(model)
        for index, (target, width) in enumerate(zip(targets, widths)):
            target.bind(loss_of_output(model.loss, index, names), width)
        self.output_targets_ = targets[1:]
        self.n_outputs_ = len(widths)
        self.__dict__.pop("_output_targets_cache", None)


def call_build_function(function, params, meta, compile_kwargs, X=None, keras_y=None):
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
        elif default is EMPTY:
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


def input_dtype(model):
    """The dtype to hand the model: its single floating input's, else "numeric"."""
    inputs = getattr(model, "inputs", None)
    if inputs and len(inputs) == 1:
        dtype = str(inputs[0].dtype)
        if dtype.startswith("float"):
            return dtype
    return "numeric"


def check_input_shape(model, X):
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


def output_widths(model, X):
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


def loss_of_output(loss, index, names):
    """The compiled loss of output ``index`` (a list, a dict by output name, or one
    loss for all)."""
    if isinstance(loss, (list, tuple)):
        return loss[index] if index < len(loss) else None
    if isinstance(loss, dict):
        return loss.get(names[index]) if names else None
    return loss


def default_loss_of(target, width, main_default):
    default = getattr(target, "default_loss", None)
    return default(width) if default is not None else main_default(width)


def output_dtype(model):
    """The dtype of the model's (first) output, or None when it is not known."""
    outputs = getattr(model, "outputs", None)
    if not outputs:
        return None
    return str(getattr(outputs[0], "dtype", None) or "") or None
