"""Pure Keras: functions that build the networks behind skdeep's estimators.

Nothing here knows about scikit-learn. Each builder takes plain metadata (numbers of
features and outputs, layer sizes, activation names, seeds) and returns an unbuilt
``keras.Model`` whose layers carry readable names, so ``model.summary()`` and
``keras.utils.plot_model`` show the structure.
"""

import keras

# Keras names of the activations skdeep accepts (sklearn's "logistic" is "sigmoid").
ACTIVATIONS = {
    "identity": "linear",
    "logistic": "sigmoid",
    "tanh": "tanh",
    "relu": "relu",
    "elu": "elu",
    "selu": "selu",
    "leaky_relu": "leaky_relu",
    "gelu": "gelu",
    "swish": "silu",
}

_RELU_FAMILY = {"relu", "elu", "leaky_relu", "gelu", "swish"}


def default_initializer(activation):
    """Initializer name for ``kernel_initializer="auto"``.

    He for the ReLU family, LeCun for SELU (self-normalizing networks), Glorot for
    saturating activations (logistic, tanh, identity).
    """
    if activation in _RELU_FAMILY:
        return "he_uniform"
    if activation == "selu":
        return "lecun_normal"
    return "glorot_uniform"


_INITIALIZERS = {
    "glorot_uniform": "GlorotUniform",
    "glorot_normal": "GlorotNormal",
    "he_uniform": "HeUniform",
    "he_normal": "HeNormal",
    "lecun_uniform": "LecunUniform",
    "lecun_normal": "LecunNormal",
    "orthogonal": "Orthogonal",
    "random_normal": "RandomNormal",
    "random_uniform": "RandomUniform",
    "truncated_normal": "TruncatedNormal",
}


def _initializer(name, seed):
    # Constructed with its seed: ``keras.initializers.get(name)`` would draw a default
    # seed from Python's global ``random`` and so change the caller's stream.
    return getattr(keras.initializers, _INITIALIZERS[name])(seed=seed)


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
):
    """Apply ``Dense -> [BatchNorm] -> activation -> [Dropout]`` blocks to ``x``.

    Layers are named ``{prefix}_1``, ``{prefix}_1_bn``, ``{prefix}_1_dropout``...
    Seeds are derived from ``seed`` so every layer gets its own stream.
    """
    keras_activation = ACTIVATIONS[activation]
    for i, units in enumerate(hidden_layer_sizes, start=1):
        name = f"{prefix}_{i}"
        x = keras.layers.Dense(
            units,
            activation=None if batch_normalization else keras_activation,
            kernel_initializer=_initializer(kernel_initializer, seed + 2 * i),
            name=name,
            dtype=dtype,
        )(x)
        if batch_normalization:
            x = keras.layers.BatchNormalization(name=f"{name}_bn", dtype=dtype)(x)
            x = keras.layers.Activation(
                keras_activation, name=f"{name}_activation", dtype=dtype
            )(x)
        if dropout:
            x = keras.layers.Dropout(
                dropout, seed=seed + 2 * i + 1, name=f"{name}_dropout", dtype=dtype
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
):
    """A multi-layer perceptron: input -> hidden blocks -> ``output`` Dense layer."""
    inputs = keras.Input(shape=(n_features,), name="input", dtype=dtype)
    x = dense_stack(
        inputs,
        hidden_layer_sizes,
        activation=activation,
        kernel_initializer=kernel_initializer,
        batch_normalization=batch_normalization,
        dropout=dropout,
        seed=seed,
        dtype=dtype,
    )
    outputs = keras.layers.Dense(
        n_outputs,
        activation=ACTIVATIONS.get(output_activation, output_activation),
        kernel_initializer=_initializer(kernel_initializer, seed),
        name="output",
        dtype=dtype,
    )(x)
    return keras.Model(inputs, outputs, name="mlp")


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
):
    """A Wide & Deep network (Cheng et al., 2016).

    The wide path joins the ``output`` layer directly; the deep path first goes
    through the ``deep_1``, ``deep_2``... blocks. Both meet in ``wide_deep_concat``.

    ``wide_features`` and ``deep_features`` are the column indices (of
    ``n_features``) that take each path, None meaning all of them. They only shape
    the inputs: when they are equal the model has one input ``input`` feeding both
    paths; otherwise it has two, ``wide_input`` and ``deep_input`` (in that order),
    which the caller fills with the selected columns.

    With ``auxiliary_output=True`` a second output ``auxiliary_output`` sits on top of
    the deep stack; the model's outputs are then ``[output, auxiliary_output]``.
    """
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
    deep_out = dense_stack(
        deep_input,
        hidden_layer_sizes,
        activation=activation,
        kernel_initializer=kernel_initializer,
        batch_normalization=batch_normalization,
        dropout=dropout,
        seed=seed,
        dtype=dtype,
        prefix="deep",
    )
    concat = keras.layers.Concatenate(name="wide_deep_concat", dtype=dtype)(
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
    return keras.Model(inputs, outputs, name="wide_deep")


# Builders by name: the estimators store ``(name, kwargs)`` so a pickled estimator can
# rebuild its network from plain data (no code in the pickle).
BUILDERS = {"mlp": build_mlp, "wide_deep": build_wide_deep}
