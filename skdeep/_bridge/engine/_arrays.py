"""Inputs, targets and weights as one array or a list/tuple of arrays (several model
inputs): the few operations the engine needs on either form."""

import mmap

import numpy as np


def n_samples(data):
    return len(data[0]) if isinstance(data, (list, tuple)) else len(data)


def take(data, index):
    """``data[index]`` for each array (None stays None); ``index`` may be a slice."""
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(part[index] for part in data)
    return data[index]


def to_floatx(data):
    """Float arrays cast to Keras' floatx, as ``model.fit`` does; others unchanged."""
    import keras

    if isinstance(data, (list, tuple)):
        return type(data)(to_floatx(part) for part in data)
    if data is None or not np.issubdtype(data.dtype, np.floating):
        return data
    return np.asarray(data, dtype=keras.backend.floatx())


def is_memmap(data):
    """Whether ``data`` (or a part of it) is a view of a memory-mapped file: such
    arrays are read a chunk of rows at a time, never copied whole."""
    if isinstance(data, (list, tuple)):
        return any(is_memmap(part) for part in data)
    while data is not None:
        if isinstance(data, (np.memmap, mmap.mmap)):
            return True
        data = getattr(data, "base", None)
    return False
