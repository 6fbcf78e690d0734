"""Pure Keras: functions that build the networks behind skdeep's estimators.

Nothing here knows about scikit-learn. Each builder takes plain metadata (numbers of
features and outputs, layer sizes, activation names, seeds) and returns an unbuilt
``keras.Model`` whose layers carry readable names, so ``model.summary()`` and
``keras.utils.plot_model`` show the structure.
"""

import keras

# the option names are plain data, shared with the parameter constraints
from skdeep.neural_network._parameters import _FAN_AVG, _INITIALIZERS, ACTIVATIONS

# activations that are layers of their own after a linear Dense layer
_ACTIVATION_LAYERS = {"leaky_relu", "prelu"}


def default_initializer(activation):
    """Initializer name for ``kernel_initializer="auto"``.

    LeCun normal for SELU (the self-normalising configuration), Glorot uniform for
    every other activation: scikit-learn's MLP initialisation, which also trains the
    ReLU family better than He's on the peers' data, shallow and five layers deep
    (``benchmarks/initializers.py``).
    """
    if activation == "selu":
        return "lecun_normal"
    return "glorot_uniform"


class _DrawnInFloat64(keras.initializers.Initializer):
    """``initializer``'s draw made in float64 and rounded to the layer's dtype, so
    that a float32 network starts from the float64 one's weights (as scikit-learn's
    MLP, whose results for float32 and float64 input differ by rounding only).
    Used while the network is built, then replaced by ``initializer`` (``_plain``):
    a saved network names Keras' own initializers."""

    def __init__(self, initializer):
        self.initializer = initializer

    def __call__(self, shape, dtype=None):
        if not _has_float64():
            return self.initializer(shape, dtype=dtype)
        return keras.ops.cast(self.initializer(shape, dtype="float64"), dtype)


def _has_float64():
    """Whether the backend computes in float64 (JAX only with x64 enabled; it
    would truncate to float32 and warn)."""
    if keras.backend.backend() != "jax":
        return True
    import jax

    return bool(jax.config.jax_enable_x64)


def _plain(model):
    """``model`` with the initializers it was built with (``_DrawnInFloat64``)."""
    for layer in model.layers:
        wrapped = getattr(layer, "kernel_initializer", None)
        if isinstance(wrapped, _DrawnInFloat64):
            layer.kernel_initializer = wrapped.initializer
    return model


def _initializer(spec, seed):
    return _DrawnInFloat64(_keras_initializer(spec, seed))


def _keras_initializer(spec, seed):
    """A fresh initializer from a name or a serialized Keras initializer (a dict).

    Constructed with its seed: ``keras.initializers.get(name)`` would draw a default
    seed from Python's global ``random`` and so change the caller's stream. A
    serialized initializer's own seed is replaced by ``seed`` for the same reason,
    and so that ``random_state`` decides every layer's draw.
    """
    if isinstance(spec, dict):
        config = dict(spec.get("config") or {})
        if "seed" in config:
            config["seed"] = seed
        return keras.initializers.deserialize({**spec, "config": config})
    if spec in _FAN_AVG:
        return keras.initializers.VarianceScaling(
            scale=2.0, mode="fan_avg", distribution=_FAN_AVG[spec], seed=seed
        )
    return getattr(keras.initializers, _INITIALIZERS[spec])(seed=seed)


def _rates(dropout, n_layers):
    """One dropout rate per hidden layer from a rate or a sequence of rates."""
    if isinstance(dropout, (list, tuple)):
        return tuple(float(r) for r in dropout)
    return (float(dropout),) * n_layers


def _normalized_inputs(inputs, enabled, dtype):
    """``inputs`` (a tensor or a list), each through a BatchNormalization layer
    named ``{input name}_bn`` when ``enabled``."""
    if not enabled:
        return inputs
    many = isinstance(inputs, list)
    out = [
        keras.layers.BatchNormalization(name=f"{x.name}_bn", dtype=dtype)(x)
        for x in (inputs if many else [inputs])
    ]
    return out if many else out[0]


def dense_stack(
    x,
    hidden_layer_sizes,
    *,
    activation,
    kernel_initializer,
    batch_normalization,
    dropout,
    seed,
    dtype,
    prefix="hidden",
    negative_slope=0.2,
    max_norm=None,
):
    """Apply ``Dense -> [BatchNorm] -> activation -> [BatchNorm] -> [Dropout]`` blocks.

    ``batch_normalization`` is False, ``"before_activation"`` (or True) or
    ``"after_activation"``; ``dropout`` one rate or one per layer (AlphaDropout
    with SELU, which keeps the self-normalising mean and variance); ``max_norm``
    bounds the norm of each neuron's incoming weights. ``leaky_relu`` and
    ``prelu`` are layers of their own. Layers are named ``{prefix}_1``,
    ``{prefix}_1_bn``, ``{prefix}_1_leaky_relu``, ``{prefix}_1_dropout``...
    Seeds are derived from ``seed`` so every layer gets its own stream.
    """
    keras_activation = ACTIVATIONS[activation]
    if batch_normalization is True:
        batch_normalization = "before_activation"
    before = batch_normalization == "before_activation"
    separate = activation in _ACTIVATION_LAYERS
    rates = _rates(dropout, len(hidden_layer_sizes))
    constraint = (
        (lambda: keras.constraints.MaxNorm(float(max_norm), axis=0))
        if max_norm is not None
        else (lambda: None)
    )
    for i, units in enumerate(hidden_layer_sizes, start=1):
        name = f"{prefix}_{i}"
        x = keras.layers.Dense(
            units,
            activation=None if before or separate else keras_activation,
            kernel_initializer=_initializer(kernel_initializer, seed + 2 * i),
            kernel_constraint=constraint(),
            name=name,
            dtype=dtype,
        )(x)
        if before:
            x = keras.layers.BatchNormalization(name=f"{name}_bn", dtype=dtype)(x)
        if activation == "leaky_relu":
            x = keras.layers.LeakyReLU(
                negative_slope=float(negative_slope),
                name=f"{name}_leaky_relu",
                dtype=dtype,
            )(x)
        elif activation == "prelu":
            x = keras.layers.PReLU(name=f"{name}_prelu", dtype=dtype)(x)
        elif before:
            x = keras.layers.Activation(
                keras_activation, name=f"{name}_activation", dtype=dtype
            )(x)
        if batch_normalization == "after_activation":
            x = keras.layers.BatchNormalization(name=f"{name}_bn", dtype=dtype)(x)
        if rates[i - 1]:
            layer = (
                keras.layers.AlphaDropout
                if activation == "selu"
                else keras.layers.Dropout
            )
            x = layer(
                rates[i - 1], seed=seed + 2 * i + 1, name=f"{name}_dropout", dtype=dtype
            )(x)
    return x


def build_mlp(
    n_features,
    n_outputs,
    *,
    hidden_layer_sizes=(100,),
    activation="relu",
    output_activation="linear",
    kernel_initializer="glorot_uniform",
    batch_normalization=False,
    dropout=0.0,
    seed=0,
    dtype="float32",
    negative_slope=0.2,
    input_batch_normalization=False,
    max_norm=None,
    precision=None,
):
    """A multi-layer perceptron: input -> [``input_bn``] -> hidden blocks ->
    ``output`` Dense layer (see ``dense_stack`` for the blocks' options).

    ``precision`` (a mixed Keras dtype policy such as ``"mixed_float16"``) is the
    hidden layers' policy; the input and the output layer stay in ``dtype``, so the
    network's outputs and loss are float32, as Keras' mixed-precision guide advises.
    """
    inputs = keras.Input(shape=(n_features,), name="input", dtype=dtype)
    hidden = precision or dtype
    x = dense_stack(
        _normalized_inputs(inputs, input_batch_normalization, hidden),
        hidden_layer_sizes,
        activation=activation,
        kernel_initializer=kernel_initializer,
        batch_normalization=batch_normalization,
        dropout=dropout,
        seed=seed,
        dtype=hidden,
        negative_slope=negative_slope,
        max_norm=max_norm,
    )
    outputs = keras.layers.Dense(
        n_outputs,
        activation=ACTIVATIONS.get(output_activation, output_activation),
        kernel_initializer=_initializer(kernel_initializer, seed),
        name="output",
        dtype=dtype,
    )(x)
    return _plain(keras.Model(inputs, outputs, name="mlp"))


def build_wide_deep(
    n_features,
    n_outputs,
    *,
    wide_features=None,
    deep_features=None,
    hidden_layer_sizes=(30, 30),
    activation="relu",
    output_activation="linear",
    auxiliary_output=False,
    kernel_initializer="glorot_uniform",
    batch_normalization=False,
    dropout=0.0,
    seed=0,
    dtype="float32",
    negative_slope=0.2,
    input_batch_normalization=False,
    max_norm=None,
    precision=None,
):
    """A Wide & Deep network (Cheng et al., 2016).

    The wide path joins the ``output`` layer directly; the deep path first goes
    through the ``deep_1``, ``deep_2``... blocks. Both meet in ``wide_deep_concat``.

    ``wide_features`` and ``deep_features`` are the column indices (of
    ``n_features``) that take each path, None meaning all of them. They only shape
    the inputs: when they are equal the model has one input ``input`` feeding both
    paths; otherwise it has two, ``wide_input`` and ``deep_input`` (in that order),
    which the caller fills with the selected columns. ``input_batch_normalization``
    normalises each input (``input_bn``, or ``wide_input_bn`` and ``deep_input_bn``)
    before both paths; ``max_norm`` applies to the deep layers.

    With ``auxiliary_output=True`` a second output ``auxiliary_output`` sits on top of
    the deep stack; the model's outputs are then ``[output, auxiliary_output]``.
    ``precision`` is the policy of the layers between the inputs and the outputs,
    as in ``build_mlp``.
    """
    hidden = precision or dtype
    wide = tuple(range(n_features)) if wide_features is None else tuple(wide_features)
    deep = tuple(range(n_features)) if deep_features is None else tuple(deep_features)
    if wide == deep:
        wide_input = deep_input = keras.Input(
            shape=(len(wide),), name="input", dtype=dtype
        )
        inputs = wide_input
    else:
        wide_input = keras.Input(shape=(len(wide),), name="wide_input", dtype=dtype)
        deep_input = keras.Input(shape=(len(deep),), name="deep_input", dtype=dtype)
        inputs = [wide_input, deep_input]
    if wide == deep:
        wide_input = deep_input = _normalized_inputs(
            wide_input, input_batch_normalization, hidden
        )
    else:
        wide_input, deep_input = _normalized_inputs(
            [wide_input, deep_input], input_batch_normalization, hidden
        )
    deep_out = dense_stack(
        deep_input,
        hidden_layer_sizes,
        activation=activation,
        kernel_initializer=kernel_initializer,
        batch_normalization=batch_normalization,
        dropout=dropout,
        seed=seed,
        dtype=hidden,
        prefix="deep",
        negative_slope=negative_slope,
        max_norm=max_norm,
    )
    concat = keras.layers.Concatenate(name="wide_deep_concat", dtype=hidden)(
        [wide_input, deep_out]
    )
    keras_output_activation = ACTIVATIONS.get(output_activation, output_activation)
    outputs = keras.layers.Dense(
        n_outputs,
        activation=keras_output_activation,
        kernel_initializer=_initializer(kernel_initializer, seed),
        name="output",
        dtype=dtype,
    )(concat)
    if auxiliary_output:
        auxiliary = keras.layers.Dense(
            n_outputs,
            activation=keras_output_activation,
            kernel_initializer=_initializer(kernel_initializer, seed + 1),
            name="auxiliary_output",
            dtype=dtype,
        )(deep_out)
        outputs = [outputs, auxiliary]
    return _plain(keras.Model(inputs, outputs, name="wide_deep"))


# Builders by name: the estimators store ``(name, kwargs)`` so a pickled estimator can
# rebuild its network from plain data (no code in the pickle).
BUILDERS = {"mlp": build_mlp, "wide_deep": build_wide_deep}


def build_tabular_mlp(
    n_features,
    n_outputs,
    *,
    hidden_layer_sizes=(128, 128, 128),
    output_activation="linear",
    periodic_embedding=True,
    n_frequencies=16,
    embedding_dim=3,
    frequency_scale=0.1,
    feature_scale=True,
    ntk=True,
    activation="mish",
    learnable_mix=True,
    dropout=0.15,
    seed=0,
    dtype="float32",
    scale_factor=6.0,
    bias_factor=0.1,
    n_numeric=None,
    cardinalities=(),
    categorical_embedding_dim=8,
    precision=None,
):
    """The tabular recipe's network (issue 25): input -> [periodic embedding] ->
    [categorical embeddings] -> [feature scale] -> hidden blocks (dense, activation,
    scheduled dropout) -> ``output``.

    The input's columns are ``[numeric | one-hot | codes]`` (``_tabular_preprocessing
    .TabularColumns``): the periodic embedding takes the first ``n_numeric`` (all by
    default), and one learned embedding per code column (``cardinalities``) takes
    the last ``len(cardinalities)``.

    Each switch turns one technique off: ``ntk=False`` gives plain Dense layers
    (He-normal kernels, zero biases) instead of the NTK parametrisation,
    ``learnable_mix=False`` the plain activation. The layers are in
    ``_tabular_layers``. ``scale_factor`` and ``bias_factor`` are the learning-rate
    factors of the feature scales and of the biases. ``precision`` (a mixed Keras
    dtype policy) is the policy of the hidden blocks; the embeddings, the output
    and so the loss stay in ``dtype``.
    """
    from skdeep.neural_network import _tabular_layers as layers

    hidden = precision or dtype

    inputs = keras.Input(shape=(n_features,), name="input", dtype=dtype)
    x = inputs
    if periodic_embedding and n_numeric != 0:
        x = layers.PeriodicEmbedding(
            n_frequencies,
            embedding_dim,
            frequency_scale,
            bias_factor=bias_factor,
            n_embedded=n_numeric,
            name="embedding",
            dtype=dtype,
        )(x)
    if cardinalities:
        x = layers.CategoricalEmbedding(
            cardinalities,
            categorical_embedding_dim,
            name="categorical_embedding",
            dtype=dtype,
        )(x)
    if feature_scale:
        x = layers.FeatureScale(scale_factor, name="feature_scale", dtype=dtype)(x)

    def dense(units, name, layer_dtype):
        if ntk:
            return layers.NTKDense(units, bias_factor, name=name, dtype=layer_dtype)
        return keras.layers.Dense(
            units,
            kernel_initializer=keras.initializers.HeNormal(seed),
            name=name,
            dtype=layer_dtype,
        )

    for i, units in enumerate(hidden_layer_sizes):
        x = dense(units, f"dense_{i}", hidden)(x)
        if learnable_mix:
            mixed = layers.MixedActivation(
                activation, name=f"activation_{i}", dtype=hidden
            )
            x = mixed(x)
        else:
            x = keras.layers.Activation(
                activation, name=f"activation_{i}", dtype=hidden
            )(x)
        if dropout:
            x = layers.ScheduledDropout(
                dropout, seed=seed + i, name=f"dropout_{i}", dtype=hidden
            )(x)
    x = dense(n_outputs, "output", dtype)(x)
    if output_activation != "linear":
        x = keras.layers.Activation(
            output_activation, name="output_activation", dtype=dtype
        )(x)
    return keras.Model(inputs, x, name="tabular_mlp")
