"""Fast loop for the TensorFlow backend: one ``tf.function`` per epoch.

The data goes to TensorFlow once per fit; each epoch is one call that gathers the
minibatches by index inside the graph and calls ``model.train_step`` on each, so the
per-step Python, ``tf.data`` and callback overhead of ``model.fit`` is paid once per
epoch instead of once per step.

Tracing that function costs more than training a small network (about 0.7 s of a
0.9 s fit on a few dozen rows). Fits of networks that are the same but for their
variables' values can share it (``EpochLoop.share``, as on JAX): the function is
traced once for a private template network and takes the fitted network's variables
as arguments, copying them into the template before the epoch's steps and back after
them. A trace keys on the variables' shapes and dtypes, not on which variables they
are, so every later fit of that network runs the traced function as it is.
"""

import threading
from collections import OrderedDict

import tensorflow as tf

from skdeep._bridge.engine._arrays import n_samples
from skdeep._bridge.engine._build import (
    build_for_training,
    logs_to_floats,
    shared_entry,
    state_signature,
)


def to_tensors(data):
    """Each array of ``data`` (nested lists, tuples and dicts; None kept) as a
    TensorFlow tensor."""
    return tf.nest.map_structure(
        lambda part: None if part is None else tf.convert_to_tensor(part), data
    )


def _gather(data, index):
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(tf.gather(part, index) for part in data)
    return tf.gather(data, index)


def _order(order):
    return tf.constant(order, dtype=tf.int64)


def _size(batch_size):
    return tf.constant(int(batch_size), dtype=tf.int64)


def _batches(n_rows, batch_size):
    return -(-n_rows // batch_size)


def _step_function(network, name, specs, *, one_batch=False, template_state=None):
    """``network``'s step ``name`` (``train_step``, ``test_step``) over the
    minibatches of ``order``, then its metrics' results, traced once for data of
    ``specs`` (``row_specs``: any number of rows): a graph loop, or with ``one_batch``
    (an epoch of a single minibatch, common on small data) one call with no loop,
    whose graph traces in about half the time. With ``template_state`` (the
    variables of ``network``, a shared template), the function takes a network's
    own variables first and trains them through it.

    Returns the concrete function: calling it skips ``tf.function``'s look-up of a
    trace by its arguments' types (a few ms per call with a network's variables
    among them), and its rows are of any number, so a fit on another number of rows
    does not trace again (about a second for a small network). Reading the
    results in the graph spares an eager call per metric each epoch."""
    method = getattr(network, name)

    def run(x, y, sample_weight, order, batch_size):
        n_rows = tf.shape(order, out_type=tf.int64)[0]
        n_batches = (n_rows + batch_size - 1) // batch_size
        for i in tf.range(n_batches):
            index = order[i * batch_size : tf.minimum((i + 1) * batch_size, n_rows)]
            method(_batch(x, y, sample_weight, index))
        return network.get_metrics_result()

    def run_once(x, y, sample_weight, order, batch_size):
        method(_batch(x, y, sample_weight, order))
        return network.get_metrics_result()

    steps = run_once if one_batch else run
    function = steps
    arguments = (*specs, tf.TensorSpec([None], tf.int64), tf.TensorSpec([], tf.int64))
    if template_state is not None:

        def function(state, x, y, sample_weight, order, batch_size):
            for mine, theirs in zip(template_state, state):
                mine.assign(theirs)
            results = steps(x, y, sample_weight, order, batch_size)
            for mine, theirs in zip(template_state, state):
                theirs.assign(mine)
            return results

        arguments = (template_state, *arguments)
    traced = quiet(tf.function(function, jit_compile=bool(network.jit_compile)))
    return traced.get_concrete_function(*arguments)


def row_specs(data):
    """The ``tf.TensorSpec`` of each tensor of ``data`` (nested as in
    ``to_tensors``), with any number of rows."""
    return tf.nest.map_structure(
        lambda part: (
            None if part is None else tf.TensorSpec([None, *part.shape[1:]], part.dtype)
        ),
        data,
    )


def _state(model):
    """The variables a training step reads and writes, as TensorFlow variables."""
    groups = (
        model.variables,
        model.optimizer.variables,
        model.metrics_variables,
    )
    return [getattr(v, "value", v) for group in groups for v in group]


class _Template:
    """A private network and its traced epoch functions, for every network of its
    key; ``lock`` lets one fit at a time use its variables."""

    def __init__(self, model):
        self.model = model
        self.state = _state(model)
        self.functions = {}
        self.lock = threading.Lock()


# key -> the _Template of that network; the latest ``_SHARED_MAX`` keys are kept
# (a template is a small network and its traced functions: a few MB)
_SHARED = OrderedDict()
_SHARED_MAX = 16
_SHARED_LOCK = threading.Lock()


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
        to_tensors(batch)
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
        self._train = {}  # the epoch's functions (``_function``), made on first use
        self._test = {}
        self._validation = (None, None)
        self._shared = None

    def share(self, key, make_template):
        """Train through the epoch functions of a private copy of this network,
        shared by every loop with the same ``key`` (which must fix everything the
        step computes besides the variables' values: the architecture, loss,
        optimizer constants; the loop adds ``state_signature``; the batch size is
        an argument of the traced function, so sets of other sizes share it too).
        ``make_template()`` returns the copy, compiled as this model; it is built
        and kept the first time ``key`` is seen, and never handed out. While
        another thread trains through the template, an epoch runs this model's own
        function instead (the same steps)."""
        key = (key, state_signature(self.model))

        def make():
            template = make_template()
            build_for_training(template, *self._data, self.batch_size)
            if state_signature(template) != key[1]:  # pragma: no cover - a guard
                return None  # keep this model's own functions
            return _Template(template)

        shared = shared_entry(_SHARED, _SHARED_LOCK, _SHARED_MAX, key, make)
        if shared is not None:
            self._shared = (shared, _state(self.model))

    def load(self, x, y, sample_weight):
        """Hold these rows as the training data (``order`` indexes them)."""
        self._data = (to_tensors(x), to_tensors(y), to_tensors(sample_weight))

    def train_epoch(self, order):
        arguments = (*self._data, _order(order), _size(self.batch_size))
        shared, state = self._shared or (None, None)
        if shared is not None and shared.lock.acquire(blocking=False):
            try:
                train = self._function(
                    shared.functions,
                    shared.model,
                    "train_step",
                    self._data,
                    len(order),
                    template_state=shared.state,
                )
                results = train(state, *arguments)
            finally:
                shared.lock.release()
        else:
            train = self._function(
                self._train, self.model, "train_step", self._data, len(order)
            )
            results = train(*arguments)
        return logs_to_floats(results)

    def _function(
        self,
        functions,
        network,
        name,
        data,
        n_rows,
        batch_size=None,
        template_state=None,
    ):
        """The traced epoch function of ``functions`` for ``data`` (made on first
        use): one per kind of epoch (one minibatch or several) and per dtypes and
        trailing shapes of the data (a fit's y of another shape, sample weights or
        none), whatever the number of rows."""
        one_batch = n_rows <= (batch_size or self.batch_size)
        specs = row_specs(data)
        key = (one_batch, repr(specs))
        if key not in functions:
            functions[key] = _step_function(
                network,
                name,
                specs,
                one_batch=one_batch,
                template_state=template_state,
            )
        return functions[key]

    def evaluate(self, x, y, sample_weight, batch_size):
        """The model's metrics over these rows, from reset metrics."""
        if self._validation[0] is not x:  # convert the validation data once per fit
            self._validation = (
                x,
                (to_tensors(x), to_tensors(y), to_tensors(sample_weight)),
            )
        self.model.reset_metrics()
        return self._run_test(self._validation[1], n_samples(x), batch_size)

    def test_chunk(self, x, y, sample_weight, batch_size):
        """Add these rows to the metrics' running state (no reset, nothing kept):
        one chunk of a set evaluated a chunk at a time."""
        data = (to_tensors(x), to_tensors(y), to_tensors(sample_weight))
        return self._run_test(data, n_samples(x), batch_size)

    def _run_test(self, data, n_rows, batch_size):
        test = self._function(
            self._test, self.model, "test_step", data, n_rows, batch_size
        )
        return logs_to_floats(
            test(*data, tf.range(n_rows, dtype=tf.int64), _size(batch_size))
        )
