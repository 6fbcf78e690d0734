"""Training data streamed in batches, for the built-in networks: ``fit`` on a
``tf.data.Dataset``, a ``keras.utils.PyDataset`` or a generator of ``(x, y)`` /
``(x, y, sample_weight)`` batches, for data larger than memory.

The estimator reads the first batch for what arrays would tell (``n_features_in_``,
the targets; ``_bridge._streams``), then trains on the Keras engine: each epoch is
one ``model.fit`` pass over the batches, each validated and encoded as the network
needs (``StreamEngine``, with the ``Engine`` interface of ``_engine_interface``).
An epoch is one pass over a ``PyDataset`` (its batches shuffled with ``shuffle``) or a
``tf.data.Dataset``, or over their first ``steps_per_epoch`` batches; a generator
cannot restart, so its epochs are ``steps_per_epoch`` batches each (the whole
generator without it) and training ends, with a warning, when it runs out.
"""

import itertools
import warnings

import numpy as np

from skdeep._bridge import _streams
from skdeep.neural_network._keras_engine import (
    HeldWeights,
    compile_network,
    step_forwarder,
)

# learning-rate schedules that set a rate per step, so need the steps of an epoch
_PER_STEP = ("power", "exponential", "1cycle")


class StreamExhausted(Exception):
    """A generator had no batch left for the next epoch."""


def check_stream_fit(estimator, y, sample_weight, steps_per_epoch, incremental):
    """The clear errors for what a streamed fit cannot take."""
    kinds = _streams.STREAM_KINDS
    if incremental:
        raise ValueError(
            f"partial_fit trains on arrays, one batch a call; X is {kinds}: pass it "
            "to fit, which trains on its batches."
        )
    _streams.check_beside_stream(y, sample_weight)
    if estimator.early_stopping:
        raise ValueError(
            "early_stopping=True holds out validation_fraction of the training "
            f"arrays, and X is {kinds}, which cannot be split. Set "
            "early_stopping=False (training stops when the training loss stops "
            "improving), or fit on arrays."
        )
    if getattr(estimator, "class_weight", None) == "balanced":
        raise ValueError(
            "class_weight='balanced' counts the classes of all of y, which a "
            "streamed X does not hold; pass a dict of class weights, or yield "
            "(x, y, sample_weight) batches."
        )
    _streams.check_steps_per_epoch(steps_per_epoch)


class StreamFeed:
    """A stream's batches, one epoch at a time, each encoded by ``encode(x, y, w)
    -> (inputs, Y, w)`` (NumPy) as the network trains on them."""

    def __init__(self, stream, encode, steps_per_epoch):
        self.kind = stream.kind
        self.data = stream.data
        self.encode = encode
        self.steps = None if steps_per_epoch is None else int(steps_per_epoch)
        if self.kind == "PyDataset" and self.data.use_multiprocessing:
            raise ValueError(
                "A PyDataset with use_multiprocessing=True loads its batches in "
                "other processes; the built-in networks count the rows each epoch "
                "trains on (t_, the learning-rate schedules) as the batches are "
                "read, in this process. Use workers (threads) without "
                "use_multiprocessing, or the wrappers (skdeep.wrappers)."
            )
        self.rows = {}  # rows of the epoch's batches, by position

    @property
    def n_batches(self):
        """Batches per epoch, or None when the stream does not say."""
        if self.kind == "PyDataset":
            size = self.data.num_batches
        elif self.kind == "tf.data.Dataset":
            size = int(self.data.cardinality())
            size = size if size >= 0 else None  # unknown or infinite
        else:
            size = None
        if size is None:
            return self.steps
        return size if self.steps is None else min(size, self.steps)

    def epoch(self, rng, shuffle):
        """What ``model.fit`` trains on for one epoch, or StreamExhausted."""
        self.rows = {}
        if self.kind == "PyDataset":
            order = np.arange(self.data.num_batches)
            if shuffle:
                order = rng.permutation(order)
            order = order[: self.steps]
            return _streams.py_dataset_view(  # (use_multiprocessing is refused)
                self.data,
                lambda i: self._encoded(i, self.data[int(order[i])]),
                len(order),
            )
        if self.kind == "tf.data.Dataset":
            source = itertools.islice(iter(self.data), self.steps)
        else:
            first = next(self.data, None)
            if first is None:
                raise StreamExhausted
            rest = None if self.steps is None else self.steps - 1
            source = itertools.chain([first], itertools.islice(self.data, rest))
        return (self._encoded(i, batch) for i, batch in enumerate(source))

    def _encoded(self, position, batch):
        x, y, w = _streams._numpy_batch(batch)
        inputs, Y, w = self.encode(x, y, w)
        self.rows[position] = len(Y)
        return (inputs, Y) if w is None else (inputs, Y, w)

    def rows_seen(self, steps):
        """Rows of the epoch's first ``steps`` batches (those trained on)."""
        return int(sum(self.rows.get(i, 0) for i in range(steps)))


class StreamEngine(HeldWeights):
    """The Keras engine's compiled network, trained one ``model.fit`` pass over a
    ``StreamFeed`` per epoch (the ``Engine`` interface; no validation data)."""

    def __init__(self, model, spec, feed):
        self.model = model
        self.feed = feed
        self.shuffle = bool(spec.shuffle)
        self.sets_rate = compile_network(model, spec)
        self.forwards_steps = spec.step_hooks  # a callback's per-step hooks
        self.step_hooks = None  # the fit's CallbackList, set by the epoch loop
        self.samples_seen = 0  # rows of the last epoch
        self.steps_run = 0  # batches of the last epoch

    def run_epoch(self, state, seed, learning_rate, momentum=None):
        if momentum is not None:  # pragma: no cover - the estimators route 1cycle SGD
            raise ValueError("the Keras engine cannot cycle the momentum")
        model = self.model
        self._use(state)
        rng = np.random.default_rng([int(s) for s in seed])
        data = self.feed.epoch(rng, self.shuffle)
        counter = _step_callback(learning_rate if self.sets_rate else None)
        if self.sets_rate and np.ndim(learning_rate) == 0:
            model.optimizer.learning_rate = float(learning_rate)
        iterations = model.optimizer.iterations
        before = int(iterations.numpy())
        with warnings.catch_warnings():
            # the epoch's batches end where ``epoch`` ends them, which Keras (not
            # knowing their number) reports as data running out
            warnings.filterwarnings("ignore", "Your input ran out of data")
            history = model.fit(
                data,  # (bounded by steps_per_epoch already)
                epochs=1,
                shuffle=False,  # a PyDataset's order is ``epoch``'s
                verbose=0,
                callbacks=[counter]
                + ([step_forwarder(self)] if self.forwards_steps else []),
            )
        logs = {name: values[-1] for name, values in history.history.items()}
        if not logs:  # a dataset with no batch
            raise StreamExhausted
        self.steps_run = counter.steps
        if int(iterations.numpy()) != before + counter.steps:
            # Keras' fit counts one more step when data of unknown length runs
            # out (no update is made); the count sets Adam's bias correction
            iterations.assign(before + counter.steps)
        self.samples_seen = self.feed.rows_seen(counter.steps)
        return self._result(logs)


def _step_callback(rates):
    """A Keras callback that counts the epoch's steps and, for a per-step schedule
    (``rates`` an array), sets each step's rate."""
    import keras

    class StepRates(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rates = None if rates is None or np.ndim(rates) == 0 else rates
            self.steps = 0

        def on_train_batch_begin(self, batch, logs=None):
            if self.rates is not None:
                index = min(batch, len(self.rates) - 1)
                self.model.optimizer.learning_rate = float(self.rates[index])

        def on_train_batch_end(self, batch, logs=None):
            self.steps = batch + 1

    return StepRates()


def check_schedule_steps(estimator, n_batches):
    """A per-step learning-rate schedule needs the number of batches per epoch."""
    if n_batches is None and estimator.learning_rate in _PER_STEP:
        raise ValueError(
            f"learning_rate={estimator.learning_rate!r} sets a rate per step and "
            "needs the number of batches per epoch, which this stream does not "
            "tell: pass steps_per_epoch to fit, or a PyDataset (or tf.data.Dataset) "
            "of known length."
        )
