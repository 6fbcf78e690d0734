"""The solvers of ``_optimizers`` as in-place NumPy updates, for the NumPy loop.

Same update rules as ``_optimizers`` (and so as ``keras.optimizers``), same state
layout: ``n_slots`` arrays the size of the flat parameter vector, then any scalar
extras (Nadam's running momentum product), so a state saved by one training loop
continues in the other. ``update(step, params, grad, slots, lr)`` changes ``params``
and ``slots`` in place; ``step`` counts the updates already made. Gradient
clipping (``clip_gradients``) comes before the update, as in Keras' optimizers.
"""

import math
import sys

import numpy as np

from skdeep.neural_network._engine_interface import SOLVERS


class _Optimizer:
    n_slots = 0
    slot_init = 0.0

    def __init__(self, **hyper):
        self.hyper = hyper

    def init_slots(self, params):
        return [np.full_like(params, self.slot_init) for _ in range(self.n_slots)]

    def _buffer(self, like):
        """A scratch array shaped like ``like``, reused across steps."""
        buffer = getattr(self, "_scratch", None)
        if buffer is None or buffer.shape != like.shape or buffer.dtype != like.dtype:
            buffer = self._scratch = np.empty_like(like)
        return buffer


class SGD(_Optimizer):
    n_slots = 1

    def update(self, step, p, g, slots, lr):
        momentum = self.hyper["momentum"]
        if not momentum:
            p -= lr * g
            return
        (m,) = slots
        m *= momentum
        m -= lr * g
        if self.hyper["nesterov"]:
            p += momentum * m - lr * g
        else:
            p += m


class Adam(_Optimizer):
    n_slots = 2

    def update(self, step, p, g, slots, lr):
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        t = step + 1
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        m, v = slots
        tmp = self._buffer(p)
        # m += (g - m) * (1 - b1);  v += (g² - v) * (1 - b2), without temporaries
        np.subtract(g, m, out=tmp)
        tmp *= 1 - b1
        m += tmp
        np.multiply(g, g, out=tmp)
        tmp -= v
        tmp *= 1 - b2
        v += tmp
        # p -= m * alpha / (sqrt(v) + eps)
        np.sqrt(v, out=tmp)
        tmp += eps
        np.divide(m, tmp, out=tmp)
        tmp *= alpha
        p -= tmp


class AdamW(Adam):
    """Adam with decoupled weight decay, applied before the step as Keras does."""

    def update(self, step, p, g, slots, lr):
        p -= p * (self.hyper["weight_decay"] * lr)
        super().update(step, p, g, slots, lr)


class Adamax(_Optimizer):
    n_slots = 2

    def update(self, step, p, g, slots, lr):
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        t = step + 1
        m, u = slots
        m += (g - m) * (1 - b1)
        u *= b2
        np.maximum(u, np.abs(g), out=u)
        p -= lr * m / ((1 - b1**t) * (u + eps))


class Nadam(_Optimizer):
    n_slots = 2

    def init_slots(self, params):
        # the running product of the momentum schedule, as a 0-d array
        return super().init_slots(params) + [np.ones((), params.dtype)]

    def update(self, step, p, g, slots, lr):
        b1, b2, eps = self.hyper["beta_1"], self.hyper["beta_2"], self.hyper["epsilon"]
        t = step + 1
        m, v, product = slots
        u_t = b1 * (1.0 - 0.5 * 0.96**t)
        u_t_1 = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_t = float(product) * u_t
        product[...] = u_product_t
        u_product_t_1 = u_product_t * u_t_1
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        m_hat = (u_t_1 / (1 - u_product_t_1)) * m + ((1 - u_t) / (1 - u_product_t)) * g
        v_hat = v / (1 - b2**t)
        p -= m_hat * lr / (np.sqrt(v_hat) + eps)


class RMSprop(_Optimizer):
    n_slots = 1

    def update(self, step, p, g, slots, lr):
        rho, eps = self.hyper["rho"], self.hyper["epsilon"]
        (velocity,) = slots
        velocity *= rho
        velocity += (1 - rho) * (g * g)
        p -= lr * g / np.sqrt(velocity + eps)


class Adagrad(_Optimizer):
    n_slots = 1
    slot_init = 0.1  # Keras' initial_accumulator_value

    def update(self, step, p, g, slots, lr):
        (accumulator,) = slots
        accumulator += g * g
        p -= lr * g / np.sqrt(accumulator + self.hyper["epsilon"])


def make_optimizer(solver, hyper):
    """The NumPy optimizer for ``solver`` with the hyper-parameters ``hyper``.

    ``hyper`` is ``TrainingSpec.hyper_dict`` (``_engine.solver_hyper``).
    """
    return getattr(sys.modules[__name__], SOLVERS[solver])(**hyper)


def clip_gradients(grads, grad, clipnorm, clipvalue):
    """Keras' gradient clipping, in place: each variable's gradient scaled to a norm
    of at most ``clipnorm``, or else each element clipped to ``clipvalue``."""
    if clipnorm:
        for g in grads:
            norm = math.sqrt(float(np.vdot(g, g)))
            if norm > clipnorm:
                g *= clipnorm / norm
    elif clipvalue:
        np.clip(grad, -clipvalue, clipvalue, out=grad)
