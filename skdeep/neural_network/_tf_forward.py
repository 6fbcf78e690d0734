"""The network's forward pass in plain TensorFlow ops, from one flat parameter vector.

The compiled training loop (``_training``) runs this instead of ``model.stateless_call``
for models made of plain layers (``_graph.SUPPORTED_LAYERS``): it traces several times
faster (no Keras layer machinery at trace time) and runs fewer ops per step. All
trainable weights travel as one flat vector, so the optimizer updates one tensor per
step instead of one per weight. Any other model falls back to ``stateless_call``.
Tests check that both paths agree with ``model(x, training=...)``.
"""

import functools

import numpy as np
import tensorflow as tf

from skdeep.neural_network._graph import activation_name, run, supported, walk


def _dense(layer, t_index, logits=False):
    kernel = t_index[id(layer.kernel)]
    bias = t_index[id(layer.bias)] if layer.use_bias else None
    activation = (lambda y: y) if logits else layer.activation

    def fn(x, params, non_trainable, training, seed):
        y = tf.matmul(x, params[kernel])
        if bias is not None:
            y = tf.nn.bias_add(y, params[bias])
        return activation(y)

    return fn


def _batch_normalization(layer, t_index, n_index):
    gamma = t_index[id(layer.gamma)] if layer.scale else None
    beta = t_index[id(layer.beta)] if layer.center else None
    mean_i = n_index[id(layer.moving_mean)]
    var_i = n_index[id(layer.moving_variance)]
    momentum, epsilon = float(layer.momentum), float(layer.epsilon)

    def fn(x, params, non_trainable, training, seed):
        if training:
            mean, var = tf.nn.moments(x, axes=[0])
            non_trainable[mean_i] = non_trainable[mean_i] * momentum + mean * (
                1.0 - momentum
            )
            non_trainable[var_i] = non_trainable[var_i] * momentum + var * (
                1.0 - momentum
            )
        else:
            mean, var = non_trainable[mean_i], non_trainable[var_i]
        inv = tf.math.rsqrt(var + epsilon)
        if gamma is not None:
            inv = inv * params[gamma]
        shift = -mean * inv
        if beta is not None:
            shift = shift + params[beta]
        return x * inv + shift

    return fn


def _dropout(layer, index):
    rate = float(layer.rate)

    def fn(x, params, non_trainable, training, seed):
        if not training or rate == 0:
            return x
        layer_seed = seed + tf.constant([index + 1, 0], seed.dtype)
        return tf.nn.experimental.stateless_dropout(x, rate, seed=layer_seed)

    return fn


def _layer_function(layer, t_index, n_index, dropout_index, logits=False):
    kind = type(layer).__name__
    if kind == "Dense":
        return _dense(layer, t_index, logits)
    if kind == "BatchNormalization":
        return _batch_normalization(layer, t_index, n_index)
    if kind == "Dropout":
        return _dropout(layer, dropout_index)
    if kind == "Activation":
        activation = layer.activation
        return lambda x, **_: activation(x)
    if kind == "Concatenate":
        axis = layer.axis
        return lambda xs, **_: tf.concat(xs, axis=axis)
    if kind == "LeakyReLU":
        slope = float(layer.negative_slope)
        return lambda x, **_: tf.nn.leaky_relu(x, alpha=slope)
    raise NotImplementedError(kind)  # pragma: no cover - guarded by supported()


class FlatForward:
    """Forward pass of ``model`` from a flat parameter vector, traceable by TF.

    ``model`` serves as a template: only its structure is read, so any model built
    with the same signature can be evaluated with its own parameters.
    """

    def __init__(self, model):
        variables = model.trainable_variables
        self.shapes = [tuple(v.shape) for v in variables]
        self.sizes = [int(np.prod(s)) for s in self.shapes]
        self.kernel_indices = [
            i for i, v in enumerate(variables) if v.path.endswith("/kernel")
        ]
        self.interpreted = supported(model, activations=None)
        self.logit_activation = None
        self._model = model
        if self.interpreted:
            t_index = {id(v): i for i, v in enumerate(variables)}
            n_index = {id(v): i for i, v in enumerate(model.non_trainable_variables)}
            self._walked = walk(model)
            output_ids = set(self._walked[2])
            functions, logit_functions, n_dropout = [], [], 0
            final_activations = set()
            for step in self._walked[1]:
                args = (step.layer, t_index, n_index, n_dropout)
                functions.append(_layer_function(*args))
                is_output = step.output in output_ids
                logit_functions.append(_layer_function(*args, logits=is_output))
                if is_output:
                    final_activations.add(
                        activation_name(step.layer.activation)
                        if type(step.layer).__name__ == "Dense"
                        else None
                    )
                n_dropout += type(step.layer).__name__ == "Dropout"
            self._functions = functions
            self._logit_functions = logit_functions
            if len(final_activations) == 1 and final_activations <= {
                "softmax",
                "sigmoid",
            }:
                # every output is a Dense layer with this activation: the training
                # loss can use TensorFlow's fused, stable cross-entropy on logits
                self.logit_activation = final_activations.pop()

    @staticmethod
    def flatten(values):
        return tf.concat([tf.reshape(v, [-1]) for v in values], axis=0)

    def unflatten(self, flat):
        parts = tf.split(flat, self.sizes) if len(self.sizes) > 1 else [flat]
        return [tf.reshape(p, s) for p, s in zip(parts, self.shapes)]

    def kernel_mask(self, dtype):
        """1 at the flat positions of Dense kernels, 0 elsewhere (for the L2 term)."""
        parts = [
            np.full(size, i in self.kernel_indices, dtype=dtype)
            for i, size in enumerate(self.sizes)
        ]
        return tf.constant(np.concatenate(parts) if parts else np.zeros(0, dtype))

    def __call__(self, params, non_trainable, xs, training, seed, logits=False):
        """``(outputs, new non-trainable values)`` for the inputs ``xs``.

        With ``logits=True`` (only when ``logit_activation`` is set) the outputs are
        the final layers' pre-activations.
        """
        non_trainable = list(non_trainable)
        if not self.interpreted:
            inputs = xs[0] if len(xs) == 1 else list(xs)
            out, non_trainable = self._model.stateless_call(
                params, non_trainable, inputs, training=training
            )
            outputs = list(out) if isinstance(out, (list, tuple)) else [out]
            return outputs, list(non_trainable)
        functions = [
            functools.partial(
                fn,
                params=params,
                non_trainable=non_trainable,  # updated in place by BatchNormalization
                training=training,
                seed=seed,
            )
            for fn in (self._logit_functions if logits else self._functions)
        ]
        return run(self._walked, functions, xs), non_trainable
