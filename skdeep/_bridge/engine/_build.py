"""Backend-neutral helpers of the fast loops: building the model's state, logs."""

import numpy as np

from skdeep._bridge.engine._arrays import take


def first_batch(x, y, sample_weight, batch_size):
    """The first minibatch, ``(x, y)`` or ``(x, y, sample_weight)`` as a step takes
    it."""
    head = slice(0, batch_size)
    batch = (take(x, head), take(y, head))
    if sample_weight is not None:
        batch = batch + (take(sample_weight, head),)
    return batch


def build_for_training(model, x, y, sample_weight, batch_size):
    """Create every variable a training step needs (layers, optimizer slots, metrics)
    before the step is compiled, as ``model.fit`` does."""
    batch = first_batch(x, y, sample_weight, batch_size)
    if getattr(model, "_distribute_strategy", "other backend") is None:
        # TensorFlow's trainer leaves the variables of the optimizer, metrics and
        # loss to the first traced step outside a distribution strategy; variables
        # created there make tf.function trace the step a second time. Built here
        # as the other backends build them; a model Keras cannot build from
        # symbolic inputs builds in its first step, as in ``model.fit``.
        try:
            model._symbolic_build(data_batch=batch)
        except (ValueError, RuntimeError, TypeError, NotImplementedError):
            pass
        return
    build = getattr(model, "_maybe_symbolic_build", None) or model._symbolic_build
    build(data_batch=batch)


def state_signature(model):
    """What a jitted step fixes about ``model``'s state: the shape, dtype and
    trainability of each variable, and the number of optimizer and metric
    variables (their values are the state)."""
    return (
        tuple(
            (tuple(v.shape), str(v.dtype), bool(v.trainable)) for v in model.variables
        ),
        len(model.optimizer.variables),
        len(model.metrics_variables),
    )


def logs_to_floats(logs):
    """Metric results as Python floats (what ``History`` records)."""
    out = {}
    for name, value in logs.items():
        value = np.asarray(value)
        out[name] = float(value) if value.ndim == 0 else value
    return out


def compute_loss_in(model, dtype):
    """Let the compiled ``model``'s total loss add its parts up in ``dtype``.

    Keras sums the per-output losses in ``floatx`` (float32) whatever their own dtype,
    and ``compile`` takes no dtype: a float64 network's gradients would pass through
    float32. Set on this model's loss only (changing ``floatx`` would change it for
    every thread). ``CompileLoss`` has no public setting, hence the private
    attributes; where a Keras version lacks them the loss stays as ``model.fit``
    computes it.
    """
    import keras

    total = getattr(model, "_compile_loss", None)
    if total is None or not hasattr(total, "_dtype"):
        return
    total._dtype_policy = keras.dtype_policies.get(str(dtype))
    total._dtype = total._dtype_policy.compute_dtype
