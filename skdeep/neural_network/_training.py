"""Compiled training loop: one traced TensorFlow function runs a whole epoch.

The loop for GPUs and for networks the NumPy loop (``_numpy_training``) cannot train;
``CompiledEngine`` at the end is its ``_engine_interface.Engine``.

Why it looks like this (measured in ``benchmarks/engines.py`` and ``peers.py``):
Keras' ``model.fit`` spends most of its time on small tabular data in per-step Python
work (callbacks, progress bookkeeping, per-batch conversion). Here one
``tf.function`` runs every step of an epoch inside a ``tf.while_loop``, with the
model's and the optimizer's state passed in and out as tensors
(``model.stateless_call`` / ``optimizer.stateless_apply``). Because no variable is
captured, the traced function is reusable: it is cached per *signature* (architecture,
loss, optimizer, dtype) and later fits of the same shape -- the folds and repeats of a
search -- skip tracing entirely. Python regains control once per epoch, which is where
per-epoch logic (early stopping, adaptive learning rates, future callbacks) lives;
per-step learning-rate schedules belong inside the loop (the step counter is there).

Nothing here knows about scikit-learn.
"""

import threading
from collections import OrderedDict
from dataclasses import replace

import numpy as np
import tensorflow as tf

from skdeep.neural_network._engine_interface import EpochResult
from skdeep.neural_network._tf_forward import FlatForward

# ---------------------------------------------------------------------------------
# Losses: per-sample values (shape (batch,)), averaged with sample weights by the
# caller. Conventions follow scikit-learn's MLP so ``loss_curve_`` reads the same:
# half squared error, log loss summed over labels.
# ---------------------------------------------------------------------------------


def _clip_proba(p):
    eps = tf.constant(1e-7 if p.dtype == tf.float32 else 1e-15, dtype=p.dtype)
    return tf.clip_by_value(p, eps, 1 - eps)


def _squared_error(y, p):
    return 0.5 * tf.reduce_mean(tf.square(y - p), axis=-1)


def _absolute_error(y, p):
    return tf.reduce_mean(tf.abs(y - p), axis=-1)


def _huber(y, p, delta=1.0):
    err = tf.abs(y - p)
    quad = tf.minimum(err, delta)
    return tf.reduce_mean(0.5 * tf.square(quad) + delta * (err - quad), axis=-1)


def _binary_log_loss(y, p):
    p = _clip_proba(p)
    return -tf.reduce_sum(y * tf.math.log(p) + (1 - y) * tf.math.log(1 - p), axis=-1)


def _multiclass_log_loss(y, p):
    return -tf.reduce_sum(y * tf.math.log(_clip_proba(p)), axis=-1)


def _poisson(y, p):
    # scikit-learn's MLP convention: xlogy(y, y / p) - y + p, summed over outputs
    p = tf.maximum(p, tf.constant(1e-12, p.dtype))
    return tf.reduce_sum(tf.math.xlogy(y, y / p) - y + p, axis=-1)


def _softmax_cross_entropy(y, logits):
    return tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=logits)


def _sigmoid_cross_entropy(y, logits):
    return tf.reduce_sum(
        tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=logits), axis=-1
    )


# (loss, final activation) -> the same loss computed from logits, fused and stable
_FUSED_LOSSES = {
    ("log_loss", "softmax"): _softmax_cross_entropy,
    ("binary_log_loss", "sigmoid"): _sigmoid_cross_entropy,
}

LOSSES = {
    "squared_error": _squared_error,
    "absolute_error": _absolute_error,
    "huber": _huber,
    "binary_log_loss": _binary_log_loss,
    "log_loss": _multiclass_log_loss,
    "poisson": _poisson,
}

# ---------------------------------------------------------------------------------
# Validation scores, computed in the graph so early stopping never leaves it.
# ---------------------------------------------------------------------------------


def _weighted_mean(values, w):
    return tf.reduce_sum(values * w) / tf.reduce_sum(w)


def _accuracy(y, p, w, task):
    if task == "multiclass":
        correct = tf.equal(tf.argmax(y, axis=-1), tf.argmax(p, axis=-1))
    else:  # binary and multilabel: every label must match (subset accuracy)
        pred = tf.cast(p > 0.5, y.dtype)
        correct = tf.reduce_all(tf.equal(pred, y), axis=-1)
    return _weighted_mean(tf.cast(correct, w.dtype), w)


def _r2(y, p, w):
    w_col = tf.expand_dims(w, -1)
    mean = tf.reduce_sum(y * w_col, axis=0) / tf.reduce_sum(w)
    num = tf.reduce_sum(w_col * tf.square(y - p), axis=0)
    den = tf.reduce_sum(w_col * tf.square(y - mean), axis=0)
    # scikit-learn's r2_score with force_finite: constant target -> 1 if perfect else 0
    safe = tf.where(den > 0, 1 - num / tf.where(den > 0, den, 1), tf.zeros_like(den))
    perfect = tf.where(num > 0, tf.zeros_like(den), tf.ones_like(den))
    return tf.reduce_mean(tf.where(den > 0, safe, perfect))


def validation_score(y, p, w, task):
    """Accuracy for classification tasks, R² for regression, weighted by ``w``."""
    if task == "regression":
        return _r2(y, p, w)
    return _accuracy(y, p, w, task)


# ---------------------------------------------------------------------------------
# The traced epoch function and its cache.
# ---------------------------------------------------------------------------------

_CACHE_SIZE = 16  # each traced epoch function holds ~7 MB (memory_fits.py)
_cache = OrderedDict()
_cache_lock = threading.Lock()


def _make_epoch_function(model, optimizer, loss_name, task, alpha, loss_weights, dtype):
    """Trace-ready function running one epoch of minibatch steps.

    ``model`` is a template: its structure is used, never its variables, so any
    model of the same signature can run through the function. ``optimizer`` is a
    ``_optimizers.StatelessOptimizer``. The state is ``(step, params,
    non_trainable, optimizer slots)`` where ``params`` is the flat vector of all
    trainable weights (see ``initial_state``). ``X`` is a tuple with one array per
    model input; every model output is trained on the same target ``Y`` and the
    outputs' losses are combined with ``loss_weights``.
    """
    forward = FlatForward(model)
    fused = _FUSED_LOSSES.get((loss_name, forward.logit_activation))
    loss_fn = fused or LOSSES[loss_name]
    alpha = float(alpha)
    l2_mask = forward.kernel_mask(dtype) if alpha and forward.kernel_indices else None
    loss_weights = [float(w) for w in loss_weights]

    def call(flat, non_trainable, xs, training, seed, logits=False):
        params = forward.unflatten(flat)
        preds, non_trainable = forward(
            params, non_trainable, xs, training, seed, logits=logits
        )
        return [tf.cast(p, dtype) for p in preds], non_trainable

    def batch_loss(flat, non_trainable, xs, yb, wb, inv_w_sum, seed):
        """Weighted data loss (total and per output); the L2 term is added apart."""
        preds, non_trainable = call(
            flat, non_trainable, xs, True, seed, logits=fused is not None
        )
        parts = tf.stack([tf.reduce_sum(loss_fn(yb, p) * wb) for p in preds])
        parts = parts * inv_w_sum
        loss = tf.reduce_sum(parts * tf.constant(loss_weights, dtype))
        return loss, parts, non_trainable

    def epoch(
        state, X, Y, W, seed, batch_size, learning_rate, shuffle, X_val, Y_val, W_val
    ):
        step, flat, non_trainable, slots = state
        n = tf.shape(W)[0]
        order = tf.cond(
            shuffle,
            lambda: tf.argsort(tf.random.stateless_uniform([n], seed=seed)),
            lambda: tf.range(n),
        )
        n_batches = (n + batch_size - 1) // batch_size

        def body(i, total, parts_total, flat, non_trainable, slots):
            start = i * batch_size
            idx = order[start : tf.minimum(start + batch_size, n)]
            xs = [tf.gather(x, idx) for x in X]
            yb, wb = tf.gather(Y, idx), tf.gather(W, idx)
            step_seed = tf.stack([seed[0] + 1, tf.cast(step + i, seed.dtype)])
            inv_w_sum = tf.math.divide_no_nan(tf.ones([], dtype), tf.reduce_sum(wb))
            with tf.GradientTape() as tape:
                tape.watch(flat)
                loss, parts, new_non_trainable = batch_loss(
                    flat, non_trainable, xs, yb, wb, inv_w_sum, seed=step_seed
                )
            grad = tape.gradient(loss, flat)
            if l2_mask is not None:
                # scikit-learn's penalty 0.5 * alpha * ||W||² / batch weight, with its
                # gradient written out: cheaper than taping it
                decay = alpha * inv_w_sum * l2_mask * flat
                loss = loss + 0.5 * tf.reduce_sum(decay * flat)
                grad = grad + decay
            (new_flat,), new_slots = optimizer.apply(
                step + i, slots, [grad], [flat], learning_rate[i]
            )
            w_sum = tf.reduce_sum(wb)
            return (
                i + 1,
                total + loss * w_sum,
                parts_total + parts * w_sum,
                new_flat,
                list(new_non_trainable),
                list(new_slots),
            )

        init = (
            tf.constant(0),
            tf.zeros([], dtype),
            tf.zeros([len(loss_weights)], dtype),
            flat,
            list(non_trainable),
            list(slots),
        )
        _, total, parts_total, flat, non_trainable, slots = tf.while_loop(
            lambda i, *_: i < n_batches, body, init
        )
        w_total = tf.reduce_sum(W)
        if X_val is None:
            score = val_loss = tf.fill([], tf.constant(np.nan, dtype))
        else:
            preds, _ = call(flat, non_trainable, X_val, False, seed)
            score = validation_score(Y_val, preds[0], W_val, task)
            val_loss = tf.add_n(
                [
                    _weighted_mean(LOSSES[loss_name](Y_val, p), W_val) * k
                    for k, p in zip(loss_weights, preds)
                ]
            )
        state = (step + n_batches, flat, non_trainable, slots)
        return state, total / w_total, parts_total / w_total, score, val_loss

    return epoch


def initial_state(model, optimizer, previous=None):
    """Training state of ``model``: ``(step, flat params, non-trainable, slots)``.

    ``previous`` is ``(step, slots)`` saved by ``optimizer_state`` to continue the
    optimizer's moments (``partial_fit``); otherwise the optimizer starts fresh.
    """
    flat = FlatForward.flatten(
        [tf.convert_to_tensor(v) for v in model.trainable_variables]
    )
    non_trainable = [tf.convert_to_tensor(v) for v in model.non_trainable_variables]
    if previous is not None:
        step, slots = tf.constant(previous[0], tf.int32), list(previous[1])
    else:
        step, slots = tf.constant(0, tf.int32), optimizer.init_slots([flat])
    return step, flat, non_trainable, slots


def write_back(model, state):
    """Assign a training state's weights to ``model``; return ``(step, slots)``."""
    step, flat, non_trainable, slots = state
    variables = model.trainable_variables
    sizes = [int(np.prod(v.shape)) for v in variables]
    values = tf.split(flat, sizes) if len(sizes) > 1 else [flat]
    for variable, value in zip(variables, values):
        variable.assign(tf.reshape(value, variable.shape))
    for variable, value in zip(model.non_trainable_variables, non_trainable):
        variable.assign(value)
    return int(step), [np.asarray(v) for v in slots]


def get_epoch_function(spec, model, optimizer, has_validation):
    """Return the cached ``tf.function`` for this fit, tracing it on first use.

    The cache key is the ``TrainingSpec`` (the network without its seed, the solver and
    its constants, the loss, the task, ``alpha``, the loss weights, the dtype; the
    batch size and shuffling are arguments of the traced function, not part of its
    graph) and whether validation data is given. Shapes do not matter (the batch
    dimension is open), nor do seeds, weights or the learning rate.
    """
    key = (replace(spec, batch_size=0, shuffle=False), has_validation)
    with _cache_lock:
        fn = _cache.get(key)
        if fn is not None:
            _cache.move_to_end(key)
            return fn
    epoch = _make_epoch_function(
        model,
        optimizer,
        spec.loss_name,
        spec.task,
        spec.alpha,
        spec.loss_weights,
        spec.dtype,
    )
    fn = tf.function(epoch, autograph=False, reduce_retracing=True)
    with _cache_lock:
        _cache[key] = fn
        while len(_cache) > _CACHE_SIZE:
            _cache.popitem(last=False)
    return fn


def _relaxed_spec(value, batch_dim):
    """TensorSpec of ``value`` with the batch dimension left open when asked."""
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return type(value)(_relaxed_spec(v, batch_dim) for v in value)
    shape = list(value.shape)
    if batch_dim and shape:
        shape[0] = None
    return tf.TensorSpec(shape, value.dtype)


def run_epoch(fn, state, data, controls, validation):
    """Call the epoch function ``fn``; trace it once with open batch dimensions.

    ``data`` is ``(X, Y, W)``, ``controls`` is ``(seed, batch_size, learning_rate,
    shuffle)`` and ``validation`` is ``(X_val, Y_val, W_val)`` (or three Nones). The
    first call traces with the number of samples left open, so later fits on other
    sample counts reuse the same graph instead of retracing.
    """
    if fn.experimental_get_tracing_count() == 0:
        seed, batch_size, rates, shuffle = _relaxed_spec(controls, False)
        rates = tf.TensorSpec([None], rates.dtype)  # one rate per step
        fn.get_concrete_function(
            _relaxed_spec(state, False),
            *_relaxed_spec(data, True),
            seed,
            batch_size,
            rates,
            shuffle,
            *_relaxed_spec(validation, True),
        )
    return fn(state, *data, *controls, *validation)


class CompiledEngine:
    """Runs epochs through the cached compiled epoch function; see ``NumpyEngine``.

    The ``Engine`` interface of ``_engine_interface``: ``initial_state``,
    ``run_epoch(state, seed, learning_rate)`` and ``write_back``. Data are converted
    to tensors once, on the current device (the caller's ``tf.device`` scope), and
    stay there for every epoch.
    """

    def __init__(self, model, spec, data, validation):
        from skdeep.neural_network._optimizers import make_optimizer

        optimizer = make_optimizer(spec.solver, spec.hyper_dict)
        dtype = spec.dtype
        tf_dtype = tf.as_dtype(dtype)

        def to_tensors(X, Y, w):
            inputs = tuple(tf.convert_to_tensor(x, tf_dtype) for x in X)
            return (
                inputs,
                tf.convert_to_tensor(Y, tf_dtype),
                tf.convert_to_tensor(w, tf_dtype),
            )

        self.model = model
        self.optimizer = optimizer
        self.dtype = tf_dtype  # also the learning rate's: float64 models step exactly
        self.data = to_tensors(*data)
        self.validation = (
            (None, None, None) if validation[0] is None else to_tensors(*validation)
        )
        self.batch_size = tf.constant(int(spec.batch_size), tf.int32)
        self.shuffle = tf.constant(bool(spec.shuffle))
        self.fn = get_epoch_function(
            spec, model, optimizer, has_validation=validation[0] is not None
        )

    def initial_state(self, previous=None):
        return initial_state(self.model, self.optimizer, previous)

    def write_back(self, state):
        return write_back(self.model, state)

    def run_epoch(self, state, seed, learning_rate, momentum=None):
        if momentum is not None:  # pragma: no cover - the estimators route 1cycle SGD
            raise ValueError("the compiled engine cannot cycle the momentum")
        n_batches = -(-int(self.data[1].shape[0]) // int(self.batch_size))
        rates = np.broadcast_to(np.asarray(learning_rate, np.float64), n_batches)
        controls = (
            tf.constant([int(s) for s in seed], tf.int64),
            self.batch_size,
            tf.constant(rates, self.dtype),
            self.shuffle,
        )
        state, loss, parts, score, val_loss = run_epoch(
            self.fn, state, self.data, controls, self.validation
        )
        return EpochResult(
            state, float(loss), parts.numpy(), float(score), float(val_loss)
        )
