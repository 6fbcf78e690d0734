"""Keras layers of the tabular recipe (issue 25; RealMLP, Holzmüller et al. 2024).

Each layer is a plain Keras layer, registered under the package name ``skdeep``, so a
network built from them saves and loads with ``keras.saving`` once skdeep's
``neural_network`` is imported. Learning-rate factors of parameter groups are
written as fixed multipliers in front of the stored variable: under Adam, whose
steps do not depend on the gradient's scale, ``p = factor * v`` moves ``p``
``factor`` times as fast as a plain variable.
"""

import math

import keras
import numpy as np
from keras import ops

_PACKAGE = "skdeep"


@keras.saving.register_keras_serializable(package=_PACKAGE)
class PeriodicEmbedding(keras.layers.Layer):
    """Per-feature periodic embedding with the raw feature kept (PBLD).

    Feature ``x_j`` becomes ``[x_j, cos(2π (w_j x_j + b_j)) A_j / sqrt(k) + c_j]``:
    ``k`` frequencies ``w_j`` drawn from ``N(0, frequency_scale²)``, phases ``b_j``
    uniform, a linear map ``A_j`` to ``dim`` values (NTK-scaled), its bias ``c_j``
    at a learning-rate factor ``bias_factor``. Only the first ``n_embedded``
    columns (all by default) are embedded; the others pass unchanged after them.
    Input ``(batch, d)``, output ``(batch, n * (dim + 1) + d - n)``.
    """

    def __init__(
        self,
        n_frequencies=16,
        dim=3,
        frequency_scale=0.1,
        bias_factor=0.1,
        n_embedded=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.n_embedded = None if n_embedded is None else int(n_embedded)
        self.n_frequencies = int(n_frequencies)
        self.dim = int(dim)
        self.frequency_scale = float(frequency_scale)
        self.bias_factor = float(bias_factor)

    def _n(self, width):
        return width if self.n_embedded is None else self.n_embedded

    def build(self, input_shape):
        d, k = self._n(input_shape[-1]), self.n_frequencies
        self.frequencies = self.add_weight(
            (d, k), keras.initializers.RandomNormal(0.0, self.frequency_scale),
            name="frequencies",
        )  # fmt: skip
        self.phases = self.add_weight(
            (d, k), keras.initializers.RandomUniform(-0.5, 0.5), name="phases"
        )
        self.kernel = self.add_weight(
            (d, k, self.dim), keras.initializers.RandomNormal(0.0, 1.0), name="kernel"
        )
        self.bias = self.add_weight((d, self.dim), "zeros", name="bias")

    def call(self, inputs):
        n = self._n(inputs.shape[-1])
        x, rest = inputs[:, :n], inputs[:, n:]
        angle = 2 * math.pi * (x[..., None] * self.frequencies + self.phases)
        mapped = ops.einsum("bdk,dke->bde", ops.cos(angle), self.kernel)
        mapped = mapped / math.sqrt(self.n_frequencies) + self.bias_factor * self.bias
        out = ops.concatenate([x[..., None], mapped], axis=-1)
        out = ops.reshape(out, (-1, n * (self.dim + 1)))
        return ops.concatenate([out, rest], axis=-1) if n < inputs.shape[-1] else out

    def compute_output_shape(self, input_shape):
        n = self._n(input_shape[-1])
        return (input_shape[0], n * (self.dim + 1) + input_shape[-1] - n)

    def get_config(self):
        return {
            **super().get_config(),
            "n_frequencies": self.n_frequencies,
            "dim": self.dim,
            "frequency_scale": self.frequency_scale,
            "bias_factor": self.bias_factor,
            "n_embedded": self.n_embedded,
        }


@keras.saving.register_keras_serializable(package=_PACKAGE)
class CategoricalEmbedding(keras.layers.Layer):
    """Learned embeddings of the last ``len(cardinalities)`` columns, which hold
    integer category codes (``-1``: unknown or missing, with an embedding of its
    own); the columns before them pass unchanged. Column ``j`` of cardinality ``c``
    has a table of ``c + 1`` rows of ``dim`` values drawn from ``N(0, 1)``."""

    def __init__(self, cardinalities, dim=8, **kwargs):
        super().__init__(**kwargs)
        self.cardinalities = tuple(int(c) for c in cardinalities)
        self.dim = int(dim)

    def build(self, input_shape):
        rows = [c + 1 for c in self.cardinalities]
        self.offsets = np.concatenate([[0], np.cumsum(rows)[:-1]]).astype("int32")
        self.table = self.add_weight(
            (sum(rows), self.dim),
            keras.initializers.RandomNormal(0.0, 1.0),
            name="embeddings",
        )

    def call(self, inputs):
        k = len(self.cardinalities)
        rest, codes = (
            inputs[:, : inputs.shape[-1] - k],
            inputs[:, inputs.shape[-1] - k :],
        )
        index = ops.cast(codes, "int32") + 1 + ops.convert_to_tensor(self.offsets)
        vectors = ops.take(self.table, index, axis=0)  # (batch, k, dim)
        vectors = ops.cast(ops.reshape(vectors, (-1, k * self.dim)), inputs.dtype)
        return ops.concatenate([rest, vectors], axis=-1)

    def compute_output_shape(self, input_shape):
        k = len(self.cardinalities)
        return (input_shape[0], input_shape[-1] - k + k * self.dim)

    def get_config(self):
        return {
            **super().get_config(),
            "cardinalities": list(self.cardinalities),
            "dim": self.dim,
        }


@keras.saving.register_keras_serializable(package=_PACKAGE)
class FeatureScale(keras.layers.Layer):
    """A learnable scale per input column, starting at 1, at learning-rate factor
    ``factor`` (RealMLP's scaling layer: it learns which features matter)."""

    def __init__(self, factor=6.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(factor)

    def build(self, input_shape):
        self.scale = self.add_weight(
            (input_shape[-1],),
            keras.initializers.Constant(1.0 / self.factor),
            name="scale",
        )

    def call(self, x):
        return x * (self.factor * self.scale)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class NTKDense(keras.layers.Layer):
    """A dense layer in the neural-tangent-kernel parametrisation.

    ``x @ W / sqrt(fan_in) + bias_factor * b`` with ``W`` drawn from ``N(0, 1)``: the
    same initial function as LeCun's initialisation, but every layer's weights move
    at the same pace under one learning rate, which is what lets the recipe use a
    large one. ``data_dependent_init`` then rescales ``W`` and places ``b``.
    """

    def __init__(self, units, bias_factor=0.1, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.bias_factor = float(bias_factor)

    def build(self, input_shape):
        self.kernel = self.add_weight(
            (input_shape[-1], self.units),
            keras.initializers.RandomNormal(0.0, 1.0),
            name="kernel",
        )
        self.bias = self.add_weight((self.units,), "zeros", name="bias")

    def linear(self, x):
        """The pre-activation without the bias."""
        return ops.matmul(x, self.kernel) / math.sqrt(self.kernel.shape[0])

    def call(self, x):
        return self.linear(x) + self.bias_factor * self.bias

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "bias_factor": self.bias_factor,
        }


# Keras' own activations, by name: mish is ``x * tanh(softplus(x))`` (Misra 2019)
ACTIVATIONS = ("mish", "selu", "relu")


@keras.saving.register_keras_serializable(package=_PACKAGE)
class MixedActivation(keras.layers.Layer):
    """``x + a * (f(x) - x)`` with a learnable mix ``a`` per unit, starting at 1
    (the activation ``f``); a unit can learn to become linear."""

    def __init__(self, activation="mish", **kwargs):
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"activation={activation!r} is not one of {sorted(ACTIVATIONS)}."
            )
        self.activation = activation

    def build(self, input_shape):
        self.mix = self.add_weight((input_shape[-1],), "ones", name="mix")

    def call(self, x):
        f = keras.activations.get(self.activation)
        return x + self.mix * (f(x) - x)

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ScheduledDropout(keras.layers.Layer):
    """Dropout whose rate is ``rate`` times a factor held in the layer (a
    non-trainable weight, 1 at first) that a callback sets during training
    (``_tabular_training.RegularizationSchedule``)."""

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = float(rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.factor = self.add_weight((), "ones", name="factor", trainable=False)

    def call(self, x, training=False):
        if not training or self.rate == 0.0:
            return x
        # the draw and the rate in float32 (a half-precision draw is coarse)
        rate = ops.cast(self.rate * self.factor, "float32")
        draw = keras.random.uniform(ops.shape(x), seed=self.seed_generator)
        keep = ops.cast(draw >= rate, x.dtype)
        return x * keep / ops.cast(1.0 - rate, x.dtype)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def data_dependent_init(model, x, random_state, sample_weight=None):
    """Initialise ``model``'s ``NTKDense`` hidden layers from data ``x`` (rows of
    the model's input), in place, in order.

    Each unit's weights are rescaled so that its pre-activation has unit standard
    deviation over ``x``, and its bias is set so that the pre-activation is zero at
    a random quantile of its values over ``x`` (a quantile level drawn per unit, the
    empirical distribution's inverse): the unit's kink lies inside the data, where
    a training row drawn for the unit would put it. Rows count by their
    ``sample_weight`` (a weight of 2 gives what repeating the row gives, in any row
    order). The output layer (the last ``NTKDense``) keeps its draw. Other layers
    run in inference mode to carry ``x`` forward.
    """
    from skdeep.neural_network._tabular_preprocessing import weighted_quantiles

    rng = np.random.RandomState(random_state)
    weights = np.ones(len(x)) if sample_weight is None else np.asarray(sample_weight)
    dense = [layer for layer in model.layers if isinstance(layer, NTKDense)]
    out = np.asarray(x, dtype=model.inputs[0].dtype)
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, NTKDense) and layer is not dense[-1]:
            z = ops.convert_to_numpy(layer.linear(out)).astype(np.float64)
            mean = np.average(z, axis=0, weights=weights)
            scale = np.sqrt(np.average((z - mean) ** 2, axis=0, weights=weights))
            scale = np.where(scale > 0, scale, 1.0)
            layer.kernel.assign(ops.convert_to_numpy(layer.kernel) / scale)
            z = z / scale
            levels = rng.uniform(size=z.shape[1])
            picked = np.array(
                [
                    weighted_quantiles(z[:, [j]], [level], weights)[0, 0]
                    for j, level in enumerate(levels)
                ]
            )
            layer.bias.assign(-picked / layer.bias_factor)
        out = ops.convert_to_numpy(layer(out, training=False))
    return model
