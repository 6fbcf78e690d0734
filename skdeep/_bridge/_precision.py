"""The ``precision`` parameter: a Keras dtype policy for one estimator's model.

``keras.config.set_dtype_policy`` is Keras' global (per-thread) setting; the model
is built under the estimator's policy and the previous one is put back, also when
the build function raises, so nothing outside the estimator changes.
"""

import contextlib

import numpy as np

PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


@contextlib.contextmanager
def precision_scope(precision):
    """Keras' dtype policy set to ``precision`` for the block (None: unchanged)."""
    if precision is None:
        yield
        return
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def apply_precision(model, precision):
    """A copy of the Sequential or Functional ``model`` whose layers compute in
    ``precision`` (a model given as an instance was built under its own policy)."""
    import keras

    def clone_layer(layer):
        config = layer.get_config()
        if not isinstance(layer, keras.layers.InputLayer):
            config["dtype"] = precision
        return type(layer).from_config(config)

    with precision_scope(precision):
        return keras.models.clone_model(model, clone_function=clone_layer)


def to_float32(outputs):
    """Half-precision outputs (float16, bfloat16) as float32; others unchanged."""
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(to_float32(part) for part in outputs)
    if isinstance(outputs, dict):
        return {key: to_float32(value) for key, value in outputs.items()}
    outputs = np.asarray(outputs)
    if outputs.dtype.name in ("float16", "bfloat16"):
        return outputs.astype(np.float32)
    return outputs


def half_precision_outputs(model):
    """Whether ``model``'s outputs are float16 or bfloat16 (a mixed policy whose
    output layer was not set to float32)."""
    outputs = getattr(model, "outputs", None)
    if outputs:
        dtypes = {str(output.dtype) for output in outputs}
    else:  # subclassed: the model's own policy
        dtypes = {model.dtype_policy.compute_dtype}
    return bool(dtypes & {"float16", "bfloat16"})
