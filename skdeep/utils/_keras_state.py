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

skdeep's own networks (MLP*, WideDeepRegressor) do not need this: their
architecture is a function of their parameters, so they store the weights only.
"""

import io
import json
import os
import re
import tempfile
import warnings
import zipfile

# The first Keras release with every published ``safe_mode`` bypass fixed (arbitrary
# module calls from config.json: 3.9; enable_unsafe_deserialization from config: 3.11;
# TFSMLayer and archive path traversal: 3.14).
MIN_SAFE_KERAS = (3, 14)
KERAS_SUFFIX = "@keras"


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


def _load_quietly(path):
    """``keras.saving.load_model`` in safe mode, without Keras's warning about
    optimizer variables where no optimizer state was lost (a real mismatch is
    warned as Keras warns it)."""
    import keras

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = keras.saving.load_model(path, safe_mode=True)
    for w in caught:
        if not _nothing_lost(w, model):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return model


def keras_model_from_bytes(data):
    """Rebuild a model from :func:`keras_model_to_bytes`' output, in safe mode.

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
            return _load_quietly(path)
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


def keras_models_to_bytes(state):
    """A copy of ``state`` with every ``keras.Model`` value as ``.keras`` bytes.

    The value of attribute ``name`` moves to ``name + KERAS_SUFFIX``.
    """
    import sys

    keras = sys.modules.get("keras")
    if keras is None:  # no model can exist without Keras imported
        return dict(state)
    out = {}
    for name, value in state.items():
        if isinstance(value, keras.Model):
            out[name + KERAS_SUFFIX] = keras_model_to_bytes(value)
        else:
            out[name] = value
    return out


def keras_models_from_bytes(state):
    """The inverse of :func:`keras_models_to_bytes`, loading in safe mode."""
    out = {}
    for name, value in state.items():
        if isinstance(name, str) and name.endswith(KERAS_SUFFIX):
            out[name[: -len(KERAS_SUFFIX)]] = keras_model_from_bytes(value)
        else:
            out[name] = value
    return out
