"""Fast loop for the JAX backend: one jitted function per epoch.

Keras' JAX trainer is stateless: ``train_step(state, batch)`` returns the new state.
An epoch is a ``lax.fori_loop`` over the full minibatches (one compiled program) plus
one call for the last, smaller minibatch; the model's variables are written back
after every epoch, so callbacks see the trained model as they do under ``fit``.

Because the step is stateless, fits of networks that are the same but for their
variables' values can share it (``EpochLoop.share``): the built-in networks name
theirs by their ``TrainingSpec``, and the folds and candidates of a search then compile
the epoch once per data shape instead of once per fit.
"""

import threading
from collections import OrderedDict

import jax
import jax.numpy as jnp
import numpy as np

from skdeep._bridge.engine._arrays import n_samples, take
from skdeep._bridge.engine._build import (
    build_for_training,
    logs_to_floats,
    shared_entry,
    state_signature,
)

# training rows are held padded to a multiple of this (rows ``order`` never picks):
# sets a few rows apart (the folds of a search) then have one shape, one program.
# Arrays over _PAD_BYTES are left as they are (padding copies them).
_ROWS = 256
_PAD_BYTES = 64 * 2**20


def _to_array(data, pad=False):
    if data is None:
        return None
    if isinstance(data, (list, tuple)):
        return type(data)(_to_array(part, pad) for part in data)
    data = np.asarray(data)
    extra = -len(data) % _ROWS if pad and data.ndim and data.nbytes <= _PAD_BYTES else 0
    if extra:
        data = np.concatenate([data, np.zeros((extra,) + data.shape[1:], data.dtype)])
    return jnp.asarray(data)


def _batch(x, y, sample_weight, index):
    batch = (take(x, index), take(y, index))
    if sample_weight is not None:
        batch = batch + (take(sample_weight, index),)
    return batch


def _epoch_functions(step, batch_size):
    """Compiled ``(state, data, order) -> state`` for the full minibatches, and one
    step for the remainder."""

    def full_batches(state, x, y, sample_weight, order):
        n_full = order.shape[0] // batch_size

        def body(i, state):
            index = jax.lax.dynamic_slice(order, (i * batch_size,), (batch_size,))
            return step(state, _batch(x, y, sample_weight, index))[1]

        return jax.lax.fori_loop(0, n_full, body, state)

    def one_step(state, x, y, sample_weight, index):
        return step(state, _batch(x, y, sample_weight, index))[1]

    return jax.jit(full_batches), jax.jit(one_step)


# key -> the jitted epoch functions of a private template network; the latest
# ``_SHARED_MAX`` keys are kept
_SHARED = OrderedDict()
_SHARED_MAX = 8
_SHARED_LOCK = threading.Lock()


def step_log_keys(model, name, batch):
    """The names of the logs that ``model``'s step ``name`` returns (None where
    they are not a dict), from an abstract evaluation of the step (nothing runs)."""
    groups = [model.trainable_variables, model.non_trainable_variables]
    if name == "train_step":
        groups.append(model.optimizer.variables)
    groups.append(model.metrics_variables)
    state = tuple([v.value for v in group] for group in groups)
    logs, _ = jax.eval_shape(getattr(model, name), state, batch)
    return set(logs) if isinstance(logs, dict) else None


class EpochLoop:
    """Train (and evaluate) ``model`` on arrays held as JAX arrays."""

    def __init__(self, model, x, y, sample_weight, batch_size):
        build_for_training(model, x, y, sample_weight, batch_size)
        self.model = model
        self.batch_size = int(batch_size)
        self.n_batches = -(-n_samples(x) // self.batch_size)
        self.load(x, y, sample_weight)
        self._train = _epoch_functions(model.train_step, self.batch_size)
        self._test = None
        self._validation = (None, None)

    def share(self, key, make_template):
        """Train with the epoch functions of a private copy of this network, shared
        by every loop with the same ``key`` (which must fix everything the step
        computes besides the state's values: the architecture, loss, optimizer
        constants and ``state_signature``). ``make_template()`` returns the copy,
        compiled as this model; it is built and kept the first time ``key`` is
        seen, and never handed out."""
        key = (key, self.batch_size, state_signature(self.model))

        def make():
            template = make_template()
            build_for_training(template, *self._data, self.batch_size)
            if state_signature(template) != key[2]:  # pragma: no cover - a guard
                return None  # keep this model's own functions
            return _epoch_functions(template.train_step, self.batch_size)

        functions = shared_entry(_SHARED, _SHARED_LOCK, _SHARED_MAX, key, make)
        if functions is not None:
            self._train = functions

    def _variables(self, names):
        groups = {
            "trainable": self.model.trainable_variables,
            "non_trainable": self.model.non_trainable_variables,
            "optimizer": self.model.optimizer.variables,
            "metrics": self.model.metrics_variables,
        }
        return [groups[name] for name in names]

    def _run(self, functions, names, data, order):
        variables = self._variables(names)
        state = tuple([v.value for v in group] for group in variables)
        full, one = functions
        rest = len(order) % self.batch_size
        if len(order) >= self.batch_size:  # a zero-trip loop still traces its body
            # the full minibatches only: sets of other sizes with as many of them
            # (the folds of a search) run the same compiled program
            state = full(state, *data, jnp.asarray(order[: len(order) - rest]))
        if rest:
            state = one(state, *data, jnp.asarray(order[len(order) - rest :]))
        for group, values in zip(variables, state):
            for variable, value in zip(group, values):
                variable.assign(value)
        return logs_to_floats(self.model.get_metrics_result())

    def load(self, x, y, sample_weight):
        """Hold these rows as the training data (``order`` indexes them)."""
        self._data = tuple(_to_array(part, pad=True) for part in (x, y, sample_weight))

    def train_epoch(self, order):
        names = ("trainable", "non_trainable", "optimizer", "metrics")
        return self._run(self._train, names, self._data, order)

    def evaluate(self, x, y, sample_weight, batch_size):
        """The model's metrics over these rows, from reset metrics."""
        if self._validation[0] is not x:  # convert the validation data once per fit
            self._validation = (
                x,
                (_to_array(x), _to_array(y), _to_array(sample_weight)),
            )
        self.model.reset_metrics()
        return self._run_test(self._validation[1], n_samples(x), batch_size)

    def test_chunk(self, x, y, sample_weight, batch_size):
        """Add these rows to the metrics' running state (no reset, nothing kept):
        one chunk of a set evaluated a chunk at a time."""
        data = (_to_array(x), _to_array(y), _to_array(sample_weight))
        return self._run_test(data, n_samples(x), batch_size)

    def _run_test(self, data, n_rows, batch_size):
        if self._test is None or self._test[0] != int(batch_size):
            self._test = (
                int(batch_size),
                _epoch_functions(self.model.test_step, int(batch_size)),
            )
        saved, self.batch_size = self.batch_size, int(batch_size)
        try:
            return self._run(
                self._test[1],
                ("trainable", "non_trainable", "metrics"),
                data,
                np.arange(n_rows),
            )
        finally:
            self.batch_size = saved
