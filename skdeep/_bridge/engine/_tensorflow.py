"""Fast loop for the TensorFlow backend: one ``tf.function`` per epoch.

The data goes to TensorFlow once per fit; each epoch is one call that gathers the
minibatches by index inside the graph and calls ``model.train_step`` on each, so the
per-step Python, ``tf.data`` and callback overhead of ``model.fit`` is paid once per
epoch instead of once per step.
"""

import tensorflow as tf

from skdeep._bridge.engine._arrays import n_samples
from skdeep._bridge.engine._build import build_for_training, logs_to_floats


def _to_tensor(data):
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(tf.convert_to_tensor(part) for part in data)
    return tf.convert_to_tensor(data)


def _gather(data, index):
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(tf.gather(part, index) for part in data)
    return tf.gather(data, index)


def _batches(n_rows, batch_size):
    return -(-n_rows // batch_size)


def _step_function(model, method, *, one_batch=False):
    """``method`` over the minibatches of ``order``: a graph loop, or with
    ``one_batch`` (an epoch of a single minibatch, common on small data) one call
    with no loop, whose graph traces in about half the time."""

    def run(x, y, sample_weight, order, batch_size):
        n_rows = tf.shape(order)[0]
        n_batches = (n_rows + batch_size - 1) // batch_size
        for i in tf.range(n_batches):
            index = order[i * batch_size : tf.minimum((i + 1) * batch_size, n_rows)]
            method(_batch(x, y, sample_weight, index))
        return n_batches

    def run_once(x, y, sample_weight, order, batch_size):
        method(_batch(x, y, sample_weight, order))
        return tf.constant(1)

    function = run_once if one_batch else run
    return quiet(tf.function(function, jit_compile=bool(model.jit_compile)))


def _batch(x, y, sample_weight, index):
    batch = (_gather(x, index), _gather(y, index))
    if sample_weight is not None:
        batch = batch + (_gather(sample_weight, index),)
    return batch


def quiet(function):
    """Silence TensorFlow's "frequent retracing" warning for ``function``.

    Each fit traces new functions for its new model; TensorFlow counts traces by
    source line across all of them and warns about retracing that is not happening.
    """
    function._omit_frequent_tracing_warning = True
    return function


def step_log_keys(model, name, batch):
    """The names of the logs that ``model``'s step ``name`` returns (None where
    they are not a dict), from a trace of the step that runs nothing."""
    concrete = tf.function(getattr(model, name)).get_concrete_function(
        _to_tensor(batch)
    )
    logs = concrete.structured_outputs
    return set(logs) if isinstance(logs, dict) else None


class EpochLoop:
    """Train (and evaluate) ``model`` on arrays held as TensorFlow tensors."""

    def __init__(self, model, x, y, sample_weight, batch_size):
        build_for_training(model, x, y, sample_weight, batch_size)
        self.model = model
        self.batch_size = int(batch_size)
        self.n_batches = _batches(n_samples(x), self.batch_size)
        self.load(x, y, sample_weight)
        self._train = {}  # one_batch -> the epoch's function, made on first use
        self._test = {}
        self._validation = (None, None)

    def load(self, x, y, sample_weight):
        """Hold these rows as the training data (``order`` indexes them)."""
        self._data = (_to_tensor(x), _to_tensor(y), _to_tensor(sample_weight))

    def train_epoch(self, order):
        train = self._function(self._train, self.model.train_step, len(order))
        train(*self._data, tf.constant(order), tf.constant(self.batch_size))
        return logs_to_floats(self.model.get_metrics_result())

    def _function(self, functions, method, n_rows, batch_size=None):
        one_batch = n_rows <= (batch_size or self.batch_size)
        if one_batch not in functions:
            functions[one_batch] = _step_function(
                self.model, method, one_batch=one_batch
            )
        return functions[one_batch]

    def evaluate(self, x, y, sample_weight, batch_size):
        """The model's metrics over these rows, from reset metrics."""
        if self._validation[0] is not x:  # convert the validation data once per fit
            self._validation = (
                x,
                (_to_tensor(x), _to_tensor(y), _to_tensor(sample_weight)),
            )
        self.model.reset_metrics()
        return self._run_test(self._validation[1], n_samples(x), batch_size)

    def test_chunk(self, x, y, sample_weight, batch_size):
        """Add these rows to the metrics' running state (no reset, nothing kept):
        one chunk of a set evaluated a chunk at a time."""
        data = (_to_tensor(x), _to_tensor(y), _to_tensor(sample_weight))
        return self._run_test(data, n_samples(x), batch_size)

    def _run_test(self, data, n_rows, batch_size):
        test = self._function(self._test, self.model.test_step, n_rows, batch_size)
        test(*data, tf.range(n_rows), tf.constant(int(batch_size)))
        return logs_to_floats(self.model.get_metrics_result())
