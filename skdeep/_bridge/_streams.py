"""Training data streamed in batches: ``tf.data.Dataset``, ``keras.utils.PyDataset``
and generators (or other iterators) of ``(x, y)`` / ``(x, y, sample_weight)`` batches.

A streamed fit never holds the data: the estimator reads the first batch to learn
what arrays would tell (``n_features_in_``, the target's type and width), wraps the
stream so that each batch's targets are encoded as the model needs (class labels to
indices or one-hot rows), and hands it to Keras' ``model.fit`` (the wrappers: once;
the built-in networks: once per epoch, ``neural_network._streaming``).
"""

import collections.abc
import itertools
import sys
from numbers import Integral

import numpy as np

STREAM_KINDS = "a tf.data.Dataset, a keras.utils.PyDataset or a generator of batches"


def _is_tf_dataset(data):
    tf = sys.modules.get("tensorflow")  # never imported just to ask
    return tf is not None and isinstance(data, tf.data.Dataset)


def _is_py_dataset(data):
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(data, keras.utils.PyDataset)


def is_stream(data):
    """Whether ``data`` is a stream of batches rather than an array-like."""
    if isinstance(data, (np.ndarray, list, tuple, str, bytes)):
        return False
    return (
        _is_tf_dataset(data)
        or _is_py_dataset(data)
        or isinstance(data, collections.abc.Iterator)
    )


def check_beside_stream(y, sample_weight):
    """Errors for what a streamed X carries in its batches, given beside it."""
    if y is not None:
        raise ValueError(
            f"X is {STREAM_KINDS}: the targets come in its batches (x, y), so y "
            f"must be None (call fit(X) without y); got y of type {type(y).__name__}."
        )
    if sample_weight is not None:
        raise ValueError(
            "sample_weight cannot be given beside a streamed X: yield batches "
            "(x, y, sample_weight) instead."
        )


def check_steps_per_epoch(steps_per_epoch):
    """A ValueError unless ``steps_per_epoch`` is None or a positive integer."""
    if steps_per_epoch is not None and (
        not isinstance(steps_per_epoch, Integral | np.integer)
        or isinstance(steps_per_epoch, bool)
        or steps_per_epoch < 1
    ):
        raise ValueError(
            f"steps_per_epoch must be a positive integer or None, got "
            f"{steps_per_epoch!r}."
        )


def refuse_in_predict(estimator, X):
    """Predictions take arrays: a TypeError that says how to predict a stream."""
    if is_stream(X):
        raise TypeError(
            f"{type(estimator).__name__} predicts arrays, not {STREAM_KINDS}; "
            "predict each batch: np.concatenate([est.predict(x) for x, *_ in "
            "batches])."
        )


def check_array_fit(classes, steps_per_epoch):
    """Errors for the fit arguments that apply to streamed X only, given with arrays."""
    if classes is not None:
        raise ValueError(
            "fit(X, y, classes=...) applies to streamed X (batches); with arrays "
            "the classes are those of y."
        )
    if steps_per_epoch is not None:
        raise ValueError(
            "steps_per_epoch applies to streamed X (a generator, PyDataset or "
            "tf.data.Dataset); with arrays an epoch is one pass over X."
        )


def _split_batch(batch):
    if not isinstance(batch, (tuple, list)) or len(batch) not in (2, 3):
        raise ValueError(
            "Each batch of a streamed X must be a tuple (x, y) or (x, y, "
            f"sample_weight); got {type(batch).__name__}."
        )
    return tuple(batch) + (None,) * (3 - len(batch))


def _numpy(part):
    return None if part is None else np.asarray(part)


def shuffles(stream):
    """Whether Keras can shuffle this data (None: arrays)."""
    return stream is None or stream.kind == "PyDataset"


class Stream:
    """A stream of batches, with its first batch read and ready to be put back."""

    def __init__(self, data):
        self.data = data
        if _is_tf_dataset(data):
            self.kind = "tf.data.Dataset"
            first = next(iter(data.take(1)), None)
        elif _is_py_dataset(data):
            self.kind = "PyDataset"
            first = data[0] if data.num_batches != 0 else None
        else:
            self.kind = "generator"
            first = next(data, None)
            if first is not None:  # put it back
                self.data = itertools.chain([first], data)
        if first is None:
            raise ValueError(f"X is an empty {self.kind}: it yielded no batch.")
        self.first = tuple(_numpy(part) for part in _split_batch(first))

    def encoded(self, encode_batch):
        """The stream with ``encode_batch(x, y, w) -> (x, y, w)`` applied to each
        batch (in NumPy)."""
        if self.kind == "tf.data.Dataset":
            return _encoded_tf_dataset(
                self.data, encode_batch, encode_batch(*self.first)[1]
            )
        if self.kind == "PyDataset":
            return _encoded_py_dataset(self.data, encode_batch)
        return (_drop_none(encode_batch(*_numpy_batch(b))) for b in self.data)


def _numpy_batch(batch):
    return tuple(_numpy(part) for part in _split_batch(batch))


def _drop_none(batch):
    return batch if batch[2] is not None else batch[:2]


def _encoded_py_dataset(dataset, encode_batch):
    return py_dataset_view(
        dataset,
        lambda index: _drop_none(encode_batch(*_numpy_batch(dataset[index]))),
        dataset.num_batches,
    )


def py_dataset_view(dataset, batch, n_batches):
    """A ``keras.utils.PyDataset`` of ``n_batches`` whose ``index``-th batch is
    ``batch(index)``, with ``dataset``'s loading settings (workers, processes,
    queue) and epoch hooks, so Keras' ``fit`` reads it as the user set it."""
    import keras

    class View(keras.utils.PyDataset):
        def __init__(self):
            super().__init__(
                workers=dataset.workers,
                use_multiprocessing=dataset.use_multiprocessing,
                max_queue_size=dataset.max_queue_size,
            )

        @property
        def num_batches(self):
            return n_batches

        def __len__(self):
            return n_batches

        def __getitem__(self, index):
            return batch(index)

        def on_epoch_begin(self):
            dataset.on_epoch_begin()

        def on_epoch_end(self):
            dataset.on_epoch_end()

    return View()


def _encoded_tf_dataset(dataset, encode_batch, encoded_first):
    import tensorflow as tf

    spec = dataset.element_spec
    weighted = len(spec) == 3  # the first batch was a 2- or 3-tuple
    y_dtype = tf.as_dtype(encoded_first.dtype)
    y_shape = (None,) + tuple(encoded_first.shape[1:])

    def encode_targets(y):
        return encode_batch(None, y, None)[1]

    def encode(x, y, *weight):
        encoded = tf.numpy_function(encode_targets, [y], y_dtype, stateful=False)
        encoded.set_shape(y_shape)
        return (x, encoded, *weight) if weighted else (x, encoded)

    return dataset.map(encode)
