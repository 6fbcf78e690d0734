"""Backend-neutral helpers of the fast loops: building the model's state, logs."""

import numpy as np


def _first(data, n):
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(part[:n] for part in data)
    return data[:n]


def build_for_training(model, x, y, sample_weight, batch_size):
    """Create every variable a training step needs (layers, optimizer slots, metrics)
    before the step is compiled, as ``model.fit`` does."""
    batch = (_first(x, batch_size), _first(y, batch_size))
    if sample_weight is not None:
        batch = batch + (_first(sample_weight, batch_size),)
    build = getattr(model, "_maybe_symbolic_build", None) or model._symbolic_build
    build(data_batch=batch)


def logs_to_floats(logs):
    """Metric results as Python floats (what ``History`` records)."""
    out = {}
    for name, value in logs.items():
        value = np.asarray(value)
        out[name] = float(value) if value.ndim == 0 else value
    return out
