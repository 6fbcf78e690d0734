"""Backend-neutral helpers of the fast loops: building the model's state, logs."""

import numpy as np

from skdeep._bridge.engine._arrays import take


def build_for_training(model, x, y, sample_weight, batch_size):
    """Create every variable a training step needs (layers, optimizer slots, metrics)
    before the step is compiled, as ``model.fit`` does."""
    head = slice(0, batch_size)
    batch = (take(x, head), take(y, head))
    if sample_weight is not None:
        batch = batch + (take(sample_weight, head),)
    build = getattr(model, "_maybe_symbolic_build", None) or model._symbolic_build
    build(data_batch=batch)


def logs_to_floats(logs):
    """Metric results as Python floats (what ``History`` records)."""
    out = {}
    for name, value in logs.items():
        value = np.asarray(value)
        out[name] = float(value) if value.ndim == 0 else value
    return out
