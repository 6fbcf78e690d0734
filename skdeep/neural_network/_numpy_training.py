"""Training loop in NumPy, for networks of plain layers trained on the CPU.

Why it exists (measured in ``benchmarks/peers.py``, see docs/performance.md): on the
CPU, minibatch training of the small dense networks skdeep's estimators build is
dominated by fixed per-step costs, not arithmetic. The compiled TensorFlow loop
(``_training``) needs ~0.2 s of tracing and ~0.3 s of graph set-up before its first
epoch and then spends ~0.3 ms of executor overhead per step; the same step written
as a dozen NumPy calls on preallocated views costs about half that and starts at
once. So on the CPU, networks whose every layer and activation has a pass in
``_numpy_layers`` and whose loss and solver appear here (and in
``_numpy_optimizers``) train here; anything else trains on the general Keras engine,
and GPU fits on the compiled loop.

The state has the compiled loop's layout: ``(step, flat params, non-trainable,
optimizer slots)`` with all trainable weights in one flat vector in the order of
``model.trainable_variables``, so the two loops share ``partial_fit`` state and tests
compare them step by step. Gradients are written out layer by layer over the walked
Keras graph (``_graph.walk``); losses and scores follow ``_training``'s conventions
(scikit-learn's half squared error, log loss summed over labels).
"""

import numpy as np
from scipy.special import expit, xlogy

from skdeep.neural_network._engine_interface import EpochResult
from skdeep.neural_network._graph import activation_name, walk
from skdeep.neural_network._numpy_layers import (
    apply_max_norms,
    check_layer,
    make_layer,
    max_norms,
)
from skdeep.neural_network._numpy_optimizers import clip_gradients, make_optimizer

# ---------------------------------------------------------------------------------
# Losses: per-sample values (shape (n,)) and their gradient with respect to the
# network output (the logits for the fused cross-entropies), as in ``_training``.
# ---------------------------------------------------------------------------------


def _squared_error(y, p):
    d = p - y
    return 0.5 * np.mean(d * d, axis=-1), d / y.shape[1]


def _absolute_error(y, p):
    d = p - y
    return np.mean(np.abs(d), axis=-1), np.sign(d) / y.shape[1]


def _huber(y, p, delta=1.0):
    d = p - y
    err = np.abs(d)
    quad = np.minimum(err, delta)
    value = np.mean(0.5 * quad * quad + delta * (err - quad), axis=-1)
    return value, np.clip(d, -delta, delta) / y.shape[1]


def _poisson(y, p):
    floor = 1e-12
    q = np.maximum(p, floor)
    value = np.sum(xlogy(y, y / q) - y + q, axis=-1)
    return value, np.where(p >= floor, 1 - y / q, 0)


def _softmax_cross_entropy(y, logits):
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=-1, keepdims=True)
    value = (y * (np.log(total) - shifted)).sum(axis=-1)
    exp /= total
    exp -= y
    return value, exp


def _sigmoid_cross_entropy(y, logits):
    value = np.maximum(logits, 0) - logits * y + np.log1p(np.exp(-np.abs(logits)))
    return value.sum(axis=-1), expit(logits) - y


LOSSES = {
    "squared_error": _squared_error,
    "absolute_error": _absolute_error,
    "huber": _huber,
    "poisson": _poisson,
}
# (loss, final activation) -> the loss computed from logits (the only log losses here)
FUSED_LOSSES = {
    ("log_loss", "softmax"): _softmax_cross_entropy,
    ("binary_log_loss", "sigmoid"): _sigmoid_cross_entropy,
}


def loss_values(loss_name, y, p):
    """Per-sample loss of the outputs ``p`` (probabilities for the log losses): the
    validation loss of every engine."""
    if loss_name in LOSSES:
        return LOSSES[loss_name](y, p)[0]
    eps = 1e-7 if p.dtype == np.float32 else 1e-15
    p = np.clip(p, eps, 1 - eps)
    if loss_name == "log_loss":
        return -np.sum(y * np.log(p), axis=-1)
    return -np.sum(xlogy(y, p) + xlogy(1 - y, 1 - p), axis=-1)  # binary_log_loss


def validation_loss(loss_name, loss_weights, Y, outputs, w):
    """The weighted data loss (no penalty) of a network's outputs on ``Y``."""
    with np.errstate(all="ignore"):
        return float(
            sum(
                k * np.average(loss_values(loss_name, Y, np.asarray(out)), weights=w)
                for k, out in zip(loss_weights, outputs)
            )
        )


def validation_score(y, p, w, task):
    """Accuracy for classification tasks, R² for regression, weighted by ``w``.

    The same definitions as ``_training.validation_score``.
    """
    if task == "multiclass":
        correct = np.argmax(y, axis=-1) == np.argmax(p, axis=-1)
    elif task != "regression":  # binary and multilabel: subset accuracy
        correct = np.all((p > 0.5) == (y > 0.5), axis=-1)
    else:
        mean = np.average(y, axis=0, weights=w)
        num = np.sum(w[:, None] * (y - p) ** 2, axis=0)
        den = np.sum(w[:, None] * (y - mean) ** 2, axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            scores = np.where(den > 0, 1 - num / den, np.where(num > 0, 0.0, 1.0))
        return float(np.mean(scores))
    return float(np.average(correct, weights=w))


def _final_activations(walked):
    output_ids = set(walked[2])
    return {
        activation_name(step.layer.activation)
        if type(step.layer).__name__ == "Dense"
        else None
        for step in walked[1]
        if step.output in output_ids
    }


def trainable(model, loss_name, *, numpy=True):
    """Whether ``model`` with ``loss_name`` can train in this NumPy loop
    (``numpy``) or in the compiled loop, which interprets the same layers but not
    PReLU, AlphaDropout, a frozen weight or a constraint: the layers of
    ``_numpy_layers``, each called once."""
    try:
        walked = walk(model)
        layers = [step.layer for step in walked[1]]
        if len({id(layer) for layer in layers}) != len(layers):
            return False  # a layer called twice (shared weights)
        for layer in model.layers:
            check_layer(layer)
            kind = type(layer).__name__
            if not numpy and (
                kind in ("PReLU", "AlphaDropout")
                or not layer.trainable
                or getattr(layer, "kernel_constraint", None) is not None
            ):
                return False
        finals = _final_activations(walked)
        if numpy:
            max_norms(model, lambda variable: (True, 0))
    except (NotImplementedError, TypeError, ValueError, KeyError, AttributeError):
        return False
    if loss_name in LOSSES:
        return True
    return len(finals) == 1 and (loss_name, next(iter(finals))) in FUSED_LOSSES


def _continues(previous, slots):
    """Whether ``previous`` is a ``write_back`` of this loop with optimizer slots
    shaped as ``slots`` (not another engine's state, nor one from before a layer
    was frozen or unfrozen)."""
    try:
        step, old = previous
        return int(step) >= 0 and [np.shape(s) for s in old] == [
            np.shape(s) for s in slots
        ]
    except (TypeError, ValueError):
        return False


def _views(flat, shapes):
    views, offset = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        views.append(flat[offset : offset + size].reshape(shape))
        offset += size
    return views


class NumpyEngine:
    """Runs epochs of minibatch training of ``model`` in NumPy.

    ``data`` is ``(inputs, Y, W)`` with ``inputs`` a tuple of arrays (one per model
    input) and ``validation`` the same for the early-stopping split (or three
    Nones). The model is a template: its structure and shapes are read here, its
    weights by ``initial_state`` and written back by ``write_back``.
    """

    def __init__(self, model, spec, data, validation):
        self.model = model
        self.dtype = np.dtype(spec.dtype)
        self.optimizer = make_optimizer(spec.solver, spec.hyper_dict)
        self.task = spec.task
        self.alpha = float(spec.alpha)
        self.loss_weights = [float(w) for w in spec.loss_weights]
        self.batch_size = int(spec.batch_size)
        self.shuffle = bool(spec.shuffle)
        self.loss_name = loss_name = spec.loss_name
        self.clipnorm, self.clipvalue = spec.clipnorm, spec.clipvalue
        self.l1 = float(spec.l1)

        def to_arrays(X, Y, w):
            arrays = [np.asarray(x, self.dtype) for x in X]
            return arrays, np.asarray(Y, self.dtype), np.asarray(w, self.dtype)

        self.inputs, self.Y, self.W = to_arrays(*data)
        self.validation = None if validation[0] is None else to_arrays(*validation)

        variables = model.trainable_variables
        self.shapes = [tuple(v.shape) for v in variables]
        t_index = {id(v): i for i, v in enumerate(variables)}
        n_index = {id(v): i for i, v in enumerate(model.non_trainable_variables)}

        def index(variable):  # trainable: in the flat vector; frozen: not
            if id(variable) in t_index:
                return True, t_index[id(variable)]
            return False, n_index[id(variable)]

        self.walked = walk(model)
        output_ids = set(self.walked[2])
        finals = _final_activations(self.walked)
        fused = (
            FUSED_LOSSES.get((loss_name, next(iter(finals))))
            if len(finals) == 1
            else None
        )
        self.loss_fn = fused or LOSSES[loss_name]

        def layers(logit_outputs):
            return [
                make_layer(step.layer, index, step.output in logit_outputs)
                for step in self.walked[1]
            ]

        self.layers = layers(set())  # inference: every output with its activation
        self.train_layers = layers(output_ids if fused is not None else set())
        mask = np.zeros(sum(int(np.prod(s)) for s in self.shapes), self.dtype)
        for i, view in enumerate(_views(mask, self.shapes)):
            if variables[i].path.endswith("/kernel"):
                view[...] = 1
        self.kernel_mask = mask if self.alpha or self.l1 else None
        self.max_norms = max_norms(model, index)
        if self.max_norms:
            import keras

            self.epsilon = float(keras.config.epsilon())  # MaxNorm's

    # ------------------------------------------------------------------ state

    def initial_state(self, previous=None):
        """``(step, flat params, non-trainable, slots)`` read from the model.

        ``previous`` is ``(step, slots)`` from ``write_back`` to continue the
        optimizer's moments (``partial_fit``); otherwise the optimizer starts fresh.
        """
        flat = np.concatenate(
            [
                np.asarray(v.numpy(), self.dtype).ravel()
                for v in self.model.trainable_variables
            ]
        )
        non_trainable = [
            np.array(v.numpy(), self.dtype) for v in self.model.non_trainable_variables
        ]
        fresh = self.optimizer.init_slots(flat)
        if _continues(previous, fresh):
            step, slots = int(previous[0]), [np.array(s) for s in previous[1]]
        else:
            step, slots = 0, fresh
        return step, flat, non_trainable, slots

    def write_back(self, state):
        """Assign ``state``'s weights to the model; return ``(step, slots)``."""
        step, flat, non_trainable, slots = state
        for variable, value in zip(
            self.model.trainable_variables, _views(flat, self.shapes)
        ):
            variable.assign(value)
        for variable, value in zip(self.model.non_trainable_variables, non_trainable):
            variable.assign(value)
        return int(step), [np.array(s) for s in slots]

    # ------------------------------------------------------------------ passes

    def _forward(self, layers, params, non_trainable, xs, training, rng):
        """Outputs and the per-step caches needed by ``_backward``."""
        input_ids, steps, output_ids = self.walked
        values = dict(zip(input_ids, xs))
        caches = []
        for step, layer in zip(steps, layers):
            args = [values[i] for i in step.inputs]
            x = args if step.is_list else args[0]
            values[step.output], cache = layer.forward(
                x, params, non_trainable, training, rng
            )
            caches.append(cache)
        return [values[i] for i in output_ids], caches

    def _backward(self, layers, caches, params, grads, output_grads):
        input_ids, steps, output_ids = self.walked
        inputs = set(input_ids)
        upstream = {}
        for i, g in zip(output_ids, output_grads):
            upstream[i] = upstream[i] + g if i in upstream else g
        for step, layer, cache in zip(reversed(steps), reversed(layers), caches[::-1]):
            dy = upstream.pop(step.output, None)
            if dy is None:
                continue
            need_dx = any(i not in inputs for i in step.inputs)
            dx = layer.backward(dy, cache, params, grads, need_dx)
            if not need_dx:
                continue
            for i, g in zip(step.inputs, dx if step.is_list else [dx]):
                if i not in inputs:
                    upstream[i] = upstream[i] + g if i in upstream else g

    def predict(self, params, non_trainable, xs):
        """Inference-mode outputs (with the final activations)."""
        outputs, _ = self._forward(self.layers, params, non_trainable, xs, False, None)
        return outputs

    def _penalty(self, flat, grad, inv_w_sum):
        """scikit-learn's ``0.5 * alpha * ||W||² / batch weight`` and
        ``l1 * ||W||₁ / batch weight`` on the trainable kernels: added to ``grad``,
        the value returned."""
        kernels = self.kernel_mask * flat
        value = 0.0
        if self.alpha:
            decay = (self.alpha * inv_w_sum) * kernels
            value += 0.5 * float(decay @ flat)
            grad += decay
        if self.l1:
            l1 = self.l1 * inv_w_sum
            value += l1 * float(np.abs(kernels).sum())
            grad += l1 * np.sign(kernels)
        return value

    # ------------------------------------------------------------------ epoch

    def run_epoch(self, state, seed, learning_rate, momentum=None):
        """One epoch from ``state``: ``(new state, loss, loss per output, score)``.

        ``state`` is left untouched (early stopping keeps the best one); ``seed``
        (a pair of ints) fixes the shuffle and the dropout masks; ``score`` is the
        validation score (NaN without validation data). Overflows are not warned
        about: a diverging epoch shows as a non-finite loss, which the caller
        turns into an error (as with the compiled loop).
        """
        with np.errstate(all="ignore"):
            return self._run_epoch(state, seed, learning_rate, momentum)

    def _run_epoch(self, state, seed, learning_rate, momentum):
        step, flat, non_trainable, slots = state
        flat = flat.copy()
        non_trainable = [v.copy() for v in non_trainable]
        slots = [s.copy() for s in slots]
        grad = np.zeros_like(flat)
        params, grads = _views(flat, self.shapes), _views(grad, self.shapes)
        rng = np.random.default_rng([int(s) for s in seed])
        n = self.W.shape[0]
        order = rng.permutation(n) if self.shuffle else None
        weights = self.loss_weights
        total = 0.0
        parts_total = np.zeros(len(weights))
        n_batches = -(-n // self.batch_size)
        rates = np.broadcast_to(np.asarray(learning_rate, np.float64), n_batches)
        for b, start in enumerate(range(0, n, self.batch_size)):
            rows = (
                order[start : start + self.batch_size]
                if order is not None
                else slice(start, start + self.batch_size)
            )
            xs = [x[rows] for x in self.inputs]
            yb, wb = self.Y[rows], self.W[rows]
            w_sum = float(wb.sum())
            inv_w_sum = 1.0 / w_sum if w_sum else 0.0
            outputs, caches = self._forward(
                self.train_layers, params, non_trainable, xs, True, rng
            )
            output_grads, parts = [], []
            for k, out in enumerate(outputs):
                values, d_out = self.loss_fn(yb, out)
                scale = wb * self.dtype.type(weights[k] * inv_w_sum)
                d_out *= scale[:, None]
                output_grads.append(d_out)
                parts.append(float(values @ wb) * inv_w_sum)
            loss = sum(p * w for p, w in zip(parts, weights))
            self._backward(self.train_layers, caches, params, grads, output_grads)
            if self.kernel_mask is not None:
                loss += self._penalty(flat, grad, inv_w_sum)
            clip_gradients(grads, grad, self.clipnorm, self.clipvalue)
            if momentum is not None:  # a cycled momentum (1cycle), SGD only
                self.optimizer.hyper["momentum"] = float(momentum[b])
            self.optimizer.update(step, flat, grad, slots, float(rates[b]))
            if self.max_norms:  # after the update, as Keras' optimizers
                apply_max_norms(params, self.max_norms, self.epsilon)
            step += 1
            total += loss * w_sum
            parts_total += np.asarray(parts) * w_sum
        w_total = float(self.W.sum())
        score = val_loss = np.nan
        if self.validation is not None:
            X_val, Y_val, W_val = self.validation
            outputs = self.predict(params, non_trainable, X_val)
            score = validation_score(Y_val, outputs[0], W_val, self.task)
            val_loss = validation_loss(
                self.loss_name, self.loss_weights, Y_val, outputs, W_val
            )
        state = (step, flat, non_trainable, slots)
        return EpochResult(
            state, total / w_total, parts_total / w_total, score, val_loss
        )
