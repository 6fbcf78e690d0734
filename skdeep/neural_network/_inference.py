"""Inference paths: a NumPy forward pass on the CPU, a compiled batched call on GPUs.

``keras.Model.predict`` costs ~50 ms per call on small inputs (a fresh data pipeline,
a batch size of 32, callbacks). For the layers skdeep's architectures use (Dense,
BatchNormalization, Activation, Dropout, Concatenate) inference is a handful of matrix
products, so on the CPU we run them in NumPy, in the inputs' precision as
scikit-learn does (float64 predictions never depend on which rows share a batch).
On a GPU the data stays on the device and a traced model call runs over large batches.
"""

import numpy as np
from scipy.special import erf, expit, softmax

from skdeep.neural_network._graph import activation_name, run, supported, walk


def _leaky_relu(x, negative_slope=0.2):
    return np.where(x >= 0, x, negative_slope * x)


def _elu(x):
    return np.where(x > 0, x, np.expm1(np.minimum(x, 0)))


def _selu(x):
    alpha, scale = 1.6732632423543772, 1.0507009873554805
    return scale * np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def _gelu(x):
    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


NUMPY_ACTIVATIONS = {
    "linear": lambda x: x,
    "sigmoid": expit,
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0),
    "elu": _elu,
    "selu": _selu,
    "leaky_relu": _leaky_relu,
    "gelu": _gelu,
    "silu": lambda x: x * expit(x),
    "softmax": lambda x: softmax(x, axis=-1),
    "softplus": lambda x: np.logaddexp(x, 0),
    "exponential": np.exp,
}


def _layer_function(layer, dtype):
    """A NumPy function computing ``layer`` in inference mode with ``dtype`` weights."""
    kind = type(layer).__name__
    if kind == "Dense":
        kernel, *rest = (np.asarray(w, dtype=dtype) for w in layer.get_weights())
        bias = rest[0] if rest else 0.0
        name = activation_name(layer.activation)
        act = NUMPY_ACTIVATIONS[name]

        def dense(x):
            h = x @ kernel  # a fresh array: the additions below can work in place
            h += bias
            if name == "relu":
                return np.maximum(h, 0, out=h)
            return act(h)

        return dense
    if kind == "BatchNormalization":
        weights = {
            w.path.rsplit("/", 1)[-1]: w.numpy().astype(dtype) for w in layer.weights
        }
        scale = weights.get("gamma", 1.0) / np.sqrt(
            weights["moving_variance"] + layer.epsilon
        )
        shift = weights.get("beta", 0.0) - weights["moving_mean"] * scale
        return lambda x: x * scale + shift
    if kind == "Activation":
        return NUMPY_ACTIVATIONS[activation_name(layer.activation)]
    if kind == "Dropout":
        return lambda x: x
    if kind == "Concatenate":
        axis = layer.axis
        return lambda xs: np.concatenate(xs, axis=axis)
    raise NotImplementedError(kind)


def numpy_supported(model):
    """Whether every layer of ``model`` has a NumPy implementation here."""
    return supported(model, NUMPY_ACTIVATIONS)


class NumpyForward:
    """The inference-mode forward pass of a functional Keras model, in NumPy.

    The graph is walked once, at construction, and the weights copied: build a new
    one after the model trains. Like scikit-learn's MLP, it computes in the inputs'
    precision: float32 inputs in float32 (twice as fast on large batches), anything
    else in float64.
    """

    def __init__(self, model):
        self._walked = walk(model)
        self._functions = {
            dtype: [_layer_function(step.layer, dtype) for step in self._walked[1]]
            for dtype in (np.dtype(np.float32), np.dtype(np.float64))
        }

    # Rows per chunk: activations of a chunk stay in the CPU caches (measured ~25 %
    # faster than one pass over 15k rows; benchmarks/peers.py).
    chunk_size = 4096

    def __call__(self, *inputs):
        dtype = np.dtype(np.float32)
        if any(x.dtype != dtype for x in inputs):
            dtype = np.dtype(np.float64)
            inputs = [np.asarray(x, dtype=dtype) for x in inputs]
        functions = self._functions[dtype]
        n = inputs[0].shape[0]
        chunks = [
            run(
                self._walked,
                functions,
                [x[start : start + self.chunk_size] for x in inputs],
            )
            for start in range(0, n, self.chunk_size)
        ]
        outputs = (
            chunks[0]
            if len(chunks) == 1
            else [np.concatenate(parts) for parts in zip(*chunks)]
        )
        return outputs[0] if len(outputs) == 1 else outputs


class CompiledForward:
    """A traced ``model(x, training=False)`` run over large batches on a device.

    Used on GPUs: each batch is copied to the device once and the outputs come back
    once, with no per-call data pipeline.
    """

    def __init__(self, model, device, batch_size=65536):
        import tensorflow as tf

        self.device = device
        self.batch_size = batch_size
        self.n_inputs = len(model.inputs)
        self._fn = tf.function(
            lambda *xs: model(list(xs) if len(xs) > 1 else xs[0], training=False),
            autograph=False,
            reduce_retracing=True,
        )

    def __call__(self, *inputs):
        import tensorflow as tf

        n = inputs[0].shape[0]
        chunks = []
        with tf.device(self.device):
            for start in range(0, n, self.batch_size):
                batch = [x[start : start + self.batch_size] for x in inputs]
                out = self._fn(*batch)
                out = out if isinstance(out, (list, tuple)) else [out]
                chunks.append([np.asarray(o, dtype=np.float64) for o in out])
        outputs = [np.concatenate(parts) for parts in zip(*chunks)]
        return outputs[0] if len(outputs) == 1 else outputs
