"""Stateless optimizers for the compiled training loop.

Keras' optimizers refuse ``stateless_apply`` on the TensorFlow backend, and their
stateful ``apply`` would tie a traced function to one set of variables. These are
the same update rules as ``keras.optimizers`` (same formulas, same defaults; tests
compare them step by step) written as pure functions of tensors:
``apply(step, slots, grads, params, lr) -> (params, slots)``. ``step`` counts the
updates already made, as Keras' ``optimizer.iterations``.
"""

import sys

import tensorflow as tf

from skdeep.neural_network._engine_interface import SOLVERS


class StatelessOptimizer:
    """Base class: ``n_slots`` state tensors per parameter, plus ``extra`` scalars."""

    n_slots = 0
    slot_init = 0.0

    def __init__(self, **hyper):
        self.hyper = hyper

    def _hyper(self, dtype, *names):
        return [tf.constant(self.hyper[name], dtype) for name in names]

    def init_slots(self, params):
        """Initial optimizer state (a flat list of tensors) for ``params``."""
        return [
            tf.fill(tf.shape(p), tf.constant(self.slot_init, p.dtype))
            for _ in range(self.n_slots)
            for p in params
        ] + self.init_extra(params)

    def init_extra(self, params):
        return []

    def _split(self, slots, n_params):
        per_param = [
            slots[k * n_params : (k + 1) * n_params] for k in range(self.n_slots)
        ]
        return per_param, slots[self.n_slots * n_params :]

    def apply(self, step, slots, grads, params, lr):
        n = len(params)
        per_param, extra = self._split(list(slots), n)
        t = tf.cast(step + 1, params[0].dtype if params else tf.float32)
        extra = self.update_extra(t, extra)
        new_params, new_slots = [], [[] for _ in range(self.n_slots)]
        for i, (p, g) in enumerate(zip(params, grads)):
            lr_p = tf.cast(lr, p.dtype)
            g = tf.cast(g, p.dtype)
            p, s = self.update(t, p, g, [slot[i] for slot in per_param], lr_p, extra)
            new_params.append(p)
            for k, value in enumerate(s):
                new_slots[k].append(value)
        return new_params, [v for slot in new_slots for v in slot] + list(extra)

    def update_extra(self, t, extra):
        return extra

    def update(self, t, p, g, slots, lr, extra):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(StatelessOptimizer):
    n_slots = 1

    def update(self, t, p, g, slots, lr, extra):
        if not self.hyper["momentum"]:
            return p - lr * g, slots
        (momentum,) = self._hyper(p.dtype, "momentum")
        m = slots[0] * momentum - lr * g
        if self.hyper["nesterov"]:
            return p + m * momentum - lr * g, [m]
        return p + m, [m]


class Adam(StatelessOptimizer):
    n_slots = 2

    def update(self, t, p, g, slots, lr, extra):
        b1, b2, eps = self._hyper(p.dtype, "beta_1", "beta_2", "epsilon")
        m, v = slots
        alpha = lr * tf.sqrt(1 - tf.pow(b2, t)) / (1 - tf.pow(b1, t))
        m = m + (g - m) * (1 - b1)
        v = v + (tf.square(g) - v) * (1 - b2)
        return p - m * alpha / (tf.sqrt(v) + eps), [m, v]


class AdamW(Adam):
    """Adam with decoupled weight decay, applied before the step as Keras does."""

    def update(self, t, p, g, slots, lr, extra):
        (decay,) = self._hyper(p.dtype, "weight_decay")
        return super().update(t, p - p * decay * lr, g, slots, lr, extra)


class Adamax(StatelessOptimizer):
    n_slots = 2

    def update(self, t, p, g, slots, lr, extra):
        b1, b2, eps = self._hyper(p.dtype, "beta_1", "beta_2", "epsilon")
        m, u = slots
        m = m + (g - m) * (1 - b1)
        u = tf.maximum(b2 * u, tf.abs(g))
        return p - lr * m / ((1 - tf.pow(b1, t)) * (u + eps)), [m, u]


class Nadam(StatelessOptimizer):
    n_slots = 2

    def init_extra(self, params):
        dtype = params[0].dtype if params else tf.float32
        return [tf.ones([], dtype)]  # running product of the momentum schedule

    def update_extra(self, t, extra):
        (b1,) = self._hyper(t.dtype, "beta_1")
        u_t = b1 * (1.0 - 0.5 * tf.pow(tf.constant(0.96, t.dtype), t))
        return [extra[0] * u_t]

    def update(self, t, p, g, slots, lr, extra):
        b1, b2, eps = self._hyper(p.dtype, "beta_1", "beta_2", "epsilon")
        m, v = slots
        decay = tf.constant(0.96, p.dtype)  # exact in float64 too
        u_t = b1 * (1.0 - 0.5 * tf.pow(decay, t))
        u_t_1 = b1 * (1.0 - 0.5 * tf.pow(decay, t + 1))
        u_product_t = tf.cast(extra[0], p.dtype)
        u_product_t_1 = u_product_t * u_t_1
        m = m + (g - m) * (1 - b1)
        v = v + (tf.square(g) - v) * (1 - b2)
        m_hat = u_t_1 * m / (1 - u_product_t_1) + (1 - u_t) * g / (1 - u_product_t)
        v_hat = v / (1 - tf.pow(b2, t))
        return p - m_hat * lr / (tf.sqrt(v_hat) + eps), [m, v]


class RMSprop(StatelessOptimizer):
    n_slots = 1

    def update(self, t, p, g, slots, lr, extra):
        rho, eps = self._hyper(p.dtype, "rho", "epsilon")
        velocity = rho * slots[0] + (1 - rho) * tf.square(g)
        return p - lr * g / tf.sqrt(velocity + eps), [velocity]


class Adagrad(StatelessOptimizer):
    n_slots = 1
    slot_init = 0.1  # Keras' initial_accumulator_value

    def update(self, t, p, g, slots, lr, extra):
        accumulator = slots[0] + tf.square(g)
        (eps,) = self._hyper(p.dtype, "epsilon")
        return p - lr * g / tf.sqrt(accumulator + eps), [accumulator]


def make_optimizer(solver, hyper):
    """The stateless optimizer for ``solver`` with the constants ``hyper``
    (``TrainingSpec.hyper_dict``, see ``_engine.solver_hyper``)."""
    return getattr(sys.modules[__name__], SOLVERS[solver])(**hyper)
