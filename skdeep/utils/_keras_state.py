"""Keras models inside an estimator's state, as ``.keras`` bytes loaded in safe mode.

The hook for any estimator that holds a user's Keras model (the wrappers): in its
pickling methods,

    def __getstate__(self):
        return keras_models_to_bytes(super().__getstate__())

    def __setstate__(self, state):
        super().__setstate__(keras_models_from_bytes(state))

Every attribute whose value is a ``keras.Model`` is then stored as the bytes of
Keras's own ``.keras`` archive (architecture, weights, compile settings and
optimizer state), under
the attribute's name plus ``KERAS_SUFFIX``. Bytes, strings and numbers are all that
remain, so pickle, joblib and skops store the state without any Keras type, and
skops asks the user to trust only the estimator's own class. Loading goes through
``keras.saving.load_model(safe_mode=True)``: a ``Lambda`` layer or any other
serialized Python code raises a ValueError instead of running.

The user's own classes and functions a model needs (custom layers, losses, metrics,
activations) are stored beside the bytes, by reference, under ``CUSTOM_OBJECTS``:
loading imports their modules (as pickle does for any class) and hands them to
``load_model`` as ``custom_objects``, so no registration is needed in the loading
process. Before anything is written, the bytes are loaded back once, in safe mode, with
only those objects: a model that would not load (a class defined inside a function, a
subclassed model without ``get_config``, a ``Lambda`` layer) is refused when saved.

skdeep's own networks (MLP*, WideDeepRegressor) do not need this: their
architecture is a function of their parameters, so they store the weights only.
"""

import io
import json
import os
import re
import sys
import tempfile
import types
import warnings
import zipfile

# The first Keras release with every published ``safe_mode`` bypass fixed (arbitrary
# module calls from config.json: 3.9; enable_unsafe_deserialization from config: 3.11;
# TFSMLayer and archive path traversal: 3.14).
MIN_SAFE_KERAS = (3, 14)
KERAS_SUFFIX = "@keras"
# the user's classes and functions the stored models need, stored by reference
CUSTOM_OBJECTS = "@keras_custom_objects"


def _version_tuple(version):
    parts = []
    for piece in str(version).split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def keras_model_to_bytes(model):
    """The ``.keras`` archive of ``model`` as bytes: architecture, weights, and for
    a compiled model its compile configuration and optimizer state (so training
    can continue after loading)."""
    import keras

    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as f:
            return f.read()


def _archive_keras_version(data):
    """The Keras version recorded in a ``.keras`` archive; ValueError if not one."""
    if not isinstance(data, bytes | bytearray) or not zipfile.is_zipfile(
        io.BytesIO(data)
    ):
        raise ValueError(
            "The stored Keras model is not a .keras archive; the file is damaged or "
            "was not written by skdeep."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if not {"config.json", "metadata.json"} <= names:
            raise ValueError(
                "The stored Keras model is not a .keras archive (no config.json or "
                "metadata.json); the file is damaged or was not written by skdeep."
            )
        metadata = json.loads(archive.read("metadata.json"))
    return str(metadata.get("keras_version", "unknown"))


# Keras's warning when an archive's optimizer variables do not match the loaded one's
_OPTIMIZER_SKIPPED = re.compile(
    r"Skipping variable loading for optimizer '[^']*', because it has (\d+) variables "
    r"whereas the saved optimizer has (\d+) variables"
)


def _unbuilt_variable_count(optimizer):
    """How many variables ``optimizer``'s kind holds before it is built (the step
    counter, the learning rate, a loss scale ...): a fresh copy from its config."""
    import keras

    fresh = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    return len(fresh.variables)


def _nothing_lost(caught, model):
    """True when ``caught`` is Keras's optimizer warning for an archive whose
    optimizer had never been built: it held no state beyond what the compile
    configuration restores (the learning rate, a step count of zero), so the loaded
    model's freshly built optimizer is the saved one."""
    match = _OPTIMIZER_SKIPPED.search(str(caught.message))
    optimizer = getattr(model, "optimizer", None)
    if match is None or optimizer is None:
        return False
    try:
        return int(match.group(2)) == _unbuilt_variable_count(optimizer)
    except Exception:  # an optimizer Keras cannot copy: keep its warning
        return False


def _load_quietly(path, custom_objects, safe_mode):
    """``keras.saving.load_model``, without Keras's warning about
    optimizer variables where no optimizer state was lost (a real mismatch is
    warned as Keras warns it)."""
    import keras

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(
            path, custom_objects=custom_objects, safe_mode=safe_mode
        )
    for w in caught:
        if not _nothing_lost(w, model):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return model


def keras_model_from_bytes(data, custom_objects=None, *, safe_mode=True):
    """Rebuild a model from :func:`keras_model_to_bytes`' output, in safe mode.

    ``custom_objects`` maps the names the archive uses to the user's classes and
    functions (see :func:`custom_objects_of`); ``safe_mode=False`` is for copies of
    a live model within this process only.

    Raises a ValueError, without running anything from the archive, when it holds
    serialized Python code (a ``Lambda`` layer ...), and says which Keras wrote it
    when this Keras cannot read it.
    """
    import keras

    saved_with = _archive_keras_version(data)
    if _version_tuple(keras.__version__) < MIN_SAFE_KERAS:
        raise ValueError(
            "Loading a stored Keras model needs Keras >= "
            f"{'.'.join(map(str, MIN_SAFE_KERAS))} (earlier releases have published "
            f"safe_mode bypasses); this environment has Keras {keras.__version__}. "
            "Upgrade Keras: pip install -U keras."
        )
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.keras")
        with open(path, "wb") as f:
            f.write(data)
        try:
            return _load_quietly(path, custom_objects, safe_mode)
        except Exception as exc:
            newer = _version_tuple(saved_with) > _version_tuple(keras.__version__)
            hint = (
                f" The model was saved with Keras {saved_with}, newer than this "
                f"environment's Keras {keras.__version__}: upgrade Keras."
                if newer
                else ""
            )
            raise ValueError(
                f"Could not rebuild the stored Keras model in safe mode: {exc}{hint} "
                "A model with Lambda layers or other Python code cannot be loaded "
                "safely; rebuild it from code and load its weights instead."
            ) from exc


def _is_keras_object(obj):
    module = getattr(obj, "__module__", None) or ""
    return module.split(".")[0] in ("keras", "builtins", "tensorflow", "jax", "torch")


def _user_objects(model):
    """The user's classes and functions a model refers to (layers, the model's own
    class, losses, activations ...), under every name a Keras config may use."""
    import keras

    found = []
    for layer in model._flatten_layers(include_self=True, recursive=True):
        found.append(type(layer))
        if isinstance(layer, keras.layers.Lambda):
            continue  # its function is code, never stored (see storable_model)
        for value in vars(layer).values():
            if getattr(getattr(value, "__wrapped__", None), "__self__", None) is layer:
                continue  # Keras' wrapper of the layer's own method (build)
            if isinstance(value, types.FunctionType):
                found.append(value)
            elif hasattr(value, "get_config") and not isinstance(value, type):
                found.append(type(value))
    losses = getattr(model, "loss", None)
    stack = [losses]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
        elif isinstance(item, types.FunctionType):
            found.append(item)
        elif isinstance(item, type) or isinstance(item, keras.losses.Loss):
            found.append(item if isinstance(item, type) else type(item))
    compile_config = getattr(model, "_compile_config", None)
    if compile_config is not None:
        for item in _flatten(compile_config.config):
            if isinstance(item, types.FunctionType):
                found.append(item)
            elif isinstance(item, keras.metrics.Metric):
                found.append(type(item))
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and not isinstance(optimizer, str):
        found.append(type(optimizer))
    out = {}
    for obj in found:
        if _is_keras_object(obj):
            continue
        out[obj.__name__] = obj
        out[keras.saving.get_registered_name(obj)] = obj
    return out


def _flatten(item):
    if isinstance(item, dict):
        for value in item.values():
            yield from _flatten(value)
    elif isinstance(item, (list, tuple)):
        for value in item:
            yield from _flatten(value)
    else:
        yield item


def _archive_config(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return json.loads(archive.read("config.json"))


def _registered_in(config):
    """The registered objects (``package>Name``) a Keras config names."""
    import keras

    out = {}
    for item in _serialized(config):
        name = item.get("registered_name")
        if isinstance(name, str) and ">" in name:
            obj = keras.saving.get_registered_object(name)
            if obj is not None:
                out[name] = obj
    return out


def _serialized(config):
    """Every serialized object (a dict with a ``class_name``) in a Keras config."""
    stack = [config]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "class_name" in item:
                yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def custom_objects_of(model, data=None):
    """``{name: object}``: the user's classes and functions ``model`` (saved as
    ``data``) needs to load, for ``load_model(custom_objects=...)``."""
    data = keras_model_to_bytes(model) if data is None else data
    return {**_user_objects(model), **_registered_in(_archive_config(data))}


def _unreachable(obj):
    """Why pickle cannot store ``obj`` by reference (None when it can)."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    qualname = getattr(obj, "__qualname__", "")
    if module is None or "<locals>" in qualname or "<lambda>" in qualname:
        return "it is defined inside a function"
    target = module
    for part in qualname.split("."):
        target = getattr(target, part, None)
    if target is not obj:
        return f"{module.__name__}.{qualname} is not this object"
    return None


def _refuse(model, reason):
    raise ValueError(
        f"Cannot store the Keras model {model.name!r} ({type(model).__name__}): "
        f"{reason} Nothing was written. Define its custom layers, losses and "
        "functions at the top level of an importable module, decorate them with "
        "@keras.saving.register_keras_serializable() and give every class a "
        "get_config() returning its constructor arguments; or pass the wrapper a "
        "build function (the network is then rebuilt from code)."
    )


def storable_model(model):
    """``(bytes, custom_objects)`` for ``model``, checked to load back in a fresh
    process: the objects are stored by reference beside the bytes (pickle imports
    their modules), and the bytes are loaded once here, in safe mode, with only
    those objects. Raises a ValueError naming the fix instead of writing a file
    that cannot be read."""
    import keras

    for layer in model._flatten_layers(include_self=False, recursive=True):
        if isinstance(layer, keras.layers.Lambda):
            _refuse(
                model,
                f"it would not load back: its Lambda layer {layer.name!r} holds "
                "Python code, which Keras refuses to load in safe mode. Write the "
                "computation as a custom layer class instead.",
            )
    data = keras_model_to_bytes(model)
    custom = custom_objects_of(model, data)
    for obj in set(custom.values()):
        reason = _unreachable(obj)
        if reason is not None:
            _refuse(model, f"{obj.__qualname__} cannot be stored: {reason}.")
    try:
        keras_model_from_bytes(data, custom)
    except ValueError as error:
        _refuse(model, f"it would not load back: {error.__cause__ or error}.")
    return data, custom


def copy_model(model):
    """A faithful copy of a live ``model``: architecture, weights, frozen flags,
    compile settings and optimizer state (a ``.keras`` round trip in memory)."""
    with warnings.catch_warnings():
        # a Sequential of reused, built layers (the book's model_B_on_A) is not
        # built itself until it sees data; its layers' weights are copied all the same
        warnings.filterwarnings("ignore", "You are saving a model that has not")
        data = keras_model_to_bytes(model)
    try:
        return keras_model_from_bytes(
            data, custom_objects_of(model, data), safe_mode=False
        )
    except ValueError as error:
        raise ValueError(
            f"Cannot copy the Keras model {model.name!r} ({type(model).__name__}) "
            f"faithfully: {error.__cause__ or error}. Give its custom classes a "
            "get_config() returning their constructor arguments (and register them "
            "with @keras.saving.register_keras_serializable()), or pass a build "
            "function that returns a new model."
        ) from error


def keras_models_to_bytes(state):
    """A copy of ``state`` with every ``keras.Model`` value as ``.keras`` bytes.

    The value of attribute ``name`` moves to ``name + KERAS_SUFFIX``; the user's
    classes and functions the models need go, by reference, under
    ``CUSTOM_OBJECTS``. Raises a ValueError when a model would not load back.
    """
    keras = sys.modules.get("keras")
    if keras is None:  # no model can exist without Keras imported
        return dict(state)
    out = {}
    custom = {}
    for name, value in state.items():
        if isinstance(value, keras.Model):
            out[name + KERAS_SUFFIX], objects = storable_model(value)
            custom.update(objects)
        else:
            out[name] = value
    if custom:
        out[CUSTOM_OBJECTS] = custom
    return out


def keras_models_from_bytes(state):
    """The inverse of :func:`keras_models_to_bytes`, loading in safe mode."""
    out = {}
    custom = state.get(CUSTOM_OBJECTS)
    for name, value in state.items():
        if name == CUSTOM_OBJECTS:
            continue
        if isinstance(name, str) and name.endswith(KERAS_SUFFIX):
            out[name[: -len(KERAS_SUFFIX)]] = keras_model_from_bytes(value, custom)
        else:
            out[name] = value
    return out
