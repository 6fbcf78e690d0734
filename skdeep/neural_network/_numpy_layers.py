"""The NumPy training loop's layers: forward and backward passes of the plain Keras
layers skdeep's networks are made of, over the flat parameter vector of
``_numpy_training``.

A layer reads each weight where the loop keeps it: a trainable one in a view of the
flat parameter vector (and writes its gradient into the same view of the gradient),
a frozen one (``trainable=False``) in the list of non-trainable arrays, as Keras
does: a frozen layer's weights stay as they are, a frozen BatchNormalization runs in
inference mode. ``check_layer`` raises ``NotImplementedError`` for a layer kind,
activation or extra (constraint, regularizer, shared dropout mask) these passes do not
implement; ``make_layer`` returns the pass of one step of the walked graph
(``_graph.walk``); ``max_norms`` lists the kernels a ``MaxNorm`` constraint bounds,
which the loop applies after each update as Keras' optimizers do.
"""

import numpy as np
from scipy.special import erf, expit

from skdeep.neural_network._graph import activation_name
from skdeep.neural_network._inference import NUMPY_ACTIVATIONS, _leaky_relu

# ---------------------------------------------------------------------------------
# Activations: forward f(z), and backward (dy, z, a) -> dL/dz with a = f(z).
# ---------------------------------------------------------------------------------

_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772, 1.0507009873554805
_LEAKY_SLOPE = 0.2  # Keras' default negative_slope


def _relu(z):
    return np.maximum(z, 0, out=z)  # z is a fresh product: reuse it


def _gelu_backward(dy, z, a):
    cdf = 0.5 * (1.0 + erf(z / np.sqrt(2.0)))
    pdf = np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi)
    return dy * (cdf + z * pdf)


def _silu_backward(dy, z, a):
    s = expit(z)
    return dy * s * (1 + z * (1 - s))


def _softmax_backward(dy, z, a):
    return a * (dy - np.sum(dy * a, axis=-1, keepdims=True))


# name -> (backward, whether it needs z kept apart from a); the forwards are the
# inference pass's (``_inference.NUMPY_ACTIVATIONS``), ReLU's done in place
_BACKWARDS = {
    "linear": (lambda dy, z, a: dy, False),
    "relu": (lambda dy, z, a: dy * (a > 0), False),
    "sigmoid": (lambda dy, z, a: dy * a * (1 - a), False),
    "tanh": (lambda dy, z, a: dy * (1 - a * a), False),
    "elu": (lambda dy, z, a: dy * np.where(a > 0, 1, a + 1), False),
    "selu": (
        lambda dy, z, a: (
            dy * np.where(a > 0, _SELU_SCALE, a + _SELU_SCALE * _SELU_ALPHA)
        ),
        False,
    ),
    "leaky_relu": (lambda dy, z, a: dy * np.where(z > 0, 1, _LEAKY_SLOPE), True),
    "gelu": (_gelu_backward, True),
    "silu": (_silu_backward, True),
    "softplus": (lambda dy, z, a: dy * expit(z), True),
    "exponential": (lambda dy, z, a: dy * a, False),
    "softmax": (_softmax_backward, False),
}
# name -> (forward f(z), backward (dy, z, a) -> dL/dz with a = f(z), keep z)
ACTIVATIONS = {
    name: (_relu if name == "relu" else NUMPY_ACTIVATIONS[name], *backward)
    for name, backward in _BACKWARDS.items()
}


# ---------------------------------------------------------------------------------
# Layers: forward(x, params, non_trainable, training, rng) -> (y, cache) and
# backward(dy, cache, params, grads, need_dx) -> dx, writing parameter gradients
# into views of the flat gradient vector. A weight is ``(trainable, index)``: an
# index into the flat vector's views when trainable, else into the non-trainable
# arrays.
# ---------------------------------------------------------------------------------


def _value(weight, params, non_trainable):
    trainable, index = weight
    return params[index] if trainable else non_trainable[index]


class _Dense:
    def __init__(self, layer, index, logits):
        self.kernel = index(layer.kernel)
        self.bias = index(layer.bias) if layer.use_bias else None
        name = "linear" if logits else activation_name(layer.activation)
        self.forward_fn, self.backward_fn, self.keep_z = ACTIVATIONS[name]
        self.linear = name == "linear"

    def forward(self, x, params, non_trainable, training, rng):
        kernel = _value(self.kernel, params, non_trainable)
        z = x @ kernel
        if self.bias is not None:
            z += _value(self.bias, params, non_trainable)
        if self.linear:
            return z, (x, None, z, kernel)
        pre = z.copy() if self.keep_z else None
        a = self.forward_fn(z)
        return a, (x, pre, a, kernel)

    def backward(self, dy, cache, params, grads, need_dx):
        x, z, a, kernel = cache
        dz = dy if self.linear else self.backward_fn(dy, z, a)
        if self.kernel[0]:
            np.matmul(x.T, dz, out=grads[self.kernel[1]])
        if self.bias is not None and self.bias[0]:
            dz.sum(axis=0, out=grads[self.bias[1]])
        return dz @ kernel.T if need_dx else None


class _Activation:
    def __init__(self, layer):
        self.forward_fn, self.backward_fn, _ = ACTIVATIONS[
            activation_name(layer.activation)
        ]

    def forward(self, x, params, non_trainable, training, rng):
        a = self.forward_fn(x.copy())  # some forwards work in place
        return a, (x, a)

    def backward(self, dy, cache, params, grads, need_dx):
        x, a = cache
        return self.backward_fn(dy, x, a)


class _LeakyReLU:
    def __init__(self, layer):
        self.slope = float(layer.negative_slope)

    def forward(self, x, params, non_trainable, training, rng):
        return _leaky_relu(x, self.slope), x

    def backward(self, dy, cache, params, grads, need_dx):
        return dy * np.where(cache > 0, 1, cache.dtype.type(self.slope))


class _PReLU:
    """Keras' ``relu(x) - alpha * relu(-x)`` with a learned ``alpha`` per unit."""

    def __init__(self, layer, index):
        self.alpha = index(layer.alpha)

    def forward(self, x, params, non_trainable, training, rng):
        alpha = _value(self.alpha, params, non_trainable)
        negative = np.minimum(x, 0)
        return np.maximum(x, 0) + alpha * negative, (x, negative, alpha)

    def backward(self, dy, cache, params, grads, need_dx):
        x, negative, alpha = cache
        trainable, index = self.alpha
        if trainable:
            np.sum(dy * negative, axis=0, out=grads[index])
        if not need_dx:
            return None
        # (Keras' relu has slope 0 at 0 on both sides, so x == 0 passes nothing)
        return dy * ((x > 0) + alpha * (x < 0))


class _BatchNormalization:
    def __init__(self, layer, index):
        self.gamma = index(layer.gamma) if layer.scale else None
        self.beta = index(layer.beta) if layer.center else None
        self.mean = index(layer.moving_mean)[1]
        self.var = index(layer.moving_variance)[1]
        self.momentum, self.epsilon = float(layer.momentum), float(layer.epsilon)
        self.frozen = not layer.trainable  # Keras: inference mode, even in fit

    def forward(self, x, params, non_trainable, training, rng):
        if training and not self.frozen:
            mean = x.mean(axis=0)
            var = x.var(axis=0)
            m = self.momentum
            non_trainable[self.mean] *= m
            non_trainable[self.mean] += mean * (1 - m)
            non_trainable[self.var] *= m
            non_trainable[self.var] += var * (1 - m)
        else:
            mean, var = non_trainable[self.mean], non_trainable[self.var]
        inv = 1 / np.sqrt(var + self.epsilon)
        x_hat = (x - mean) * inv
        gamma = (
            None if self.gamma is None else _value(self.gamma, params, non_trainable)
        )
        y = x_hat * gamma if gamma is not None else x_hat.copy()
        if self.beta is not None:
            y += _value(self.beta, params, non_trainable)
        return y, (x_hat, inv, gamma, training and not self.frozen)

    def backward(self, dy, cache, params, grads, need_dx):
        x_hat, inv, gamma, batch_statistics = cache
        if self.beta is not None and self.beta[0]:
            np.sum(dy, axis=0, out=grads[self.beta[1]])
        if gamma is not None:
            if self.gamma[0]:
                np.sum(dy * x_hat, axis=0, out=grads[self.gamma[1]])
            dy = dy * gamma
        if not need_dx:
            return None
        if not batch_statistics:  # the moving statistics: a fixed affine map
            return dy * inv
        n = dy.shape[0]
        return (inv / n) * (
            n * dy - dy.sum(axis=0) - x_hat * np.sum(dy * x_hat, axis=0)
        )


class _Dropout:
    def __init__(self, layer):
        self.rate = float(layer.rate)

    def forward(self, x, params, non_trainable, training, rng):
        if not training or self.rate == 0:
            return x, None
        keep = rng.random(x.shape, dtype=x.dtype) >= self.rate
        mask = keep * x.dtype.type(1 / (1 - self.rate))
        return x * mask, mask

    def backward(self, dy, cache, params, grads, need_dx):
        return dy if cache is None else dy * cache


class _AlphaDropout:
    """Keras' AlphaDropout (SELU's): dropped units set to SELU's negative saturation
    value, then an affine map that keeps the mean and variance."""

    _ALPHA_P = -_SELU_ALPHA * _SELU_SCALE

    def __init__(self, layer):
        self.rate = rate = float(layer.rate)
        alpha_p = self._ALPHA_P
        self.a = ((1 - rate) * (1 + rate * alpha_p**2)) ** -0.5
        self.b = -self.a * alpha_p * rate

    def forward(self, x, params, non_trainable, training, rng):
        if not training or self.rate == 0:
            return x, None
        kept = rng.random(x.shape, dtype=x.dtype) >= self.rate
        y = np.where(kept, x, x.dtype.type(self._ALPHA_P))
        y *= self.a
        y += self.b
        return y, kept

    def backward(self, dy, cache, params, grads, need_dx):
        if cache is None:
            return dy
        dx = dy * self.a
        dx[~cache] = 0
        return dx


class _Concatenate:
    def __init__(self, layer):
        self.axis = layer.axis

    def forward(self, xs, params, non_trainable, training, rng):
        widths = np.cumsum([x.shape[self.axis] for x in xs])[:-1]
        return np.concatenate(xs, axis=self.axis), widths

    def backward(self, dy, cache, params, grads, need_dx):
        return np.split(dy, cache, axis=self.axis)


_LAYERS = {
    "Dense": lambda layer, index, logits: _Dense(layer, index, logits),
    "Activation": lambda layer, index, logits: _Activation(layer),
    "LeakyReLU": lambda layer, index, logits: _LeakyReLU(layer),
    "PReLU": lambda layer, index, logits: _PReLU(layer, index),
    "BatchNormalization": lambda layer, index, logits: _BatchNormalization(
        layer, index
    ),
    "Dropout": lambda layer, index, logits: _Dropout(layer),
    "AlphaDropout": lambda layer, index, logits: _AlphaDropout(layer),
    "Concatenate": lambda layer, index, logits: _Concatenate(layer),
}
KINDS = {"InputLayer", *_LAYERS}

_EXTRAS = (  # what a layer may carry that these passes do not apply
    "kernel_constraint",
    "bias_constraint",
    "kernel_regularizer",
    "bias_regularizer",
    "activity_regularizer",
    "beta_constraint",
    "gamma_constraint",
    "beta_regularizer",
    "gamma_regularizer",
    "alpha_constraint",
    "alpha_regularizer",
)


def check_layer(layer):
    """Raise ``NotImplementedError`` unless these passes compute ``layer``
    (a ``MaxNorm`` kernel constraint included: ``max_norms``)."""
    import keras

    kind = type(layer).__name__
    if kind not in KINDS or getattr(keras.layers, kind, None) is not type(layer):
        raise NotImplementedError(f"a {kind} layer")
    for extra in _EXTRAS:
        value = getattr(layer, extra, None)
        if value is None:
            continue
        if extra == "kernel_constraint" and type(value) is keras.constraints.MaxNorm:
            continue
        raise NotImplementedError(f"{layer.name}'s {extra}")
    if kind == "PReLU" and layer.shared_axes is not None:
        raise NotImplementedError(f"{layer.name}'s shared_axes")
    if getattr(layer, "noise_shape", None) is not None:  # a mask shared across rows
        raise NotImplementedError(f"{layer.name}'s noise_shape")
    if hasattr(layer, "activation"):
        name = activation_name(layer.activation)
        if name not in ACTIVATIONS:
            raise NotImplementedError(f"activation {name!r}")


def make_layer(layer, index, logits):
    """The pass of ``layer`` (a Keras layer ``check_layer`` accepts); ``index`` maps a
    Keras variable to its ``(trainable, index)``; ``logits``: a Dense output layer
    computes its logits (its activation fused with the loss)."""
    return _LAYERS[type(layer).__name__](layer, index, logits)


def max_norms(model, index):
    """``[(index into the flat vector, max_value, axis)]`` for every trainable
    kernel a ``MaxNorm`` constraint bounds."""
    found = []
    for variable in model.trainable_variables:
        constraint = getattr(variable, "constraint", None)
        if constraint is None:
            continue
        if type(constraint).__name__ != "MaxNorm":
            raise NotImplementedError(f"{variable.path}'s constraint")
        found.append((index(variable)[1], float(constraint.max_value), constraint.axis))
    return found


def apply_max_norms(params, bounds, epsilon):
    """Keras' ``MaxNorm``: rescale each kernel's columns (norms along ``axis``)
    to at most ``max_value``, in place."""
    for i, max_value, axis in bounds:
        w = params[i]
        norms = np.sqrt(np.sum(w * w, axis=axis, keepdims=True))
        w *= np.clip(norms, 0, max_value) / (epsilon + norms)
