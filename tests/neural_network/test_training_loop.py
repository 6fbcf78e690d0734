"""The compiled training loop's pieces agree with Keras itself."""

import numpy as np
import pytest
import tensorflow as tf

from skdeep._bridge._devices import resolve
from skdeep.neural_network._architectures import build_mlp
from skdeep.neural_network._engine import KerasPredictor
from skdeep.neural_network._inference import NumpyForward
from skdeep.neural_network._tf_forward import FlatForward


@pytest.fixture(scope="module")
def data():
    return np.random.RandomState(0).normal(size=(32, 5)).astype("float32")


@pytest.mark.parametrize("activation", ["relu", "gelu", "selu", "leaky_relu"])
def test_interpreted_forward_matches_keras_with_batch_norm(activation, data):
    model = build_mlp(
        5,
        3,
        hidden_layer_sizes=(7, 4),
        activation=activation,
        output_activation="softmax",
        kernel_initializer="he_uniform",
        batch_normalization=True,
        seed=1,
    )
    forward = FlatForward(model)
    assert forward.interpreted
    params = [tf.convert_to_tensor(v) for v in model.trainable_variables]
    non_trainable = [tf.convert_to_tensor(v) for v in model.non_trainable_variables]
    seed = tf.constant([0, 0], tf.int64)
    for training in (True, False):
        ours, ours_nt = forward(
            params, non_trainable, [tf.constant(data)], training, seed
        )
        keras_out, keras_nt = model.stateless_call(
            params, non_trainable, data, training=training
        )
        np.testing.assert_allclose(
            ours[0].numpy(), keras_out.numpy(), rtol=1e-5, atol=1e-6
        )
        # BatchNormalization's moving statistics are updated the same way
        for a, b in zip(ours_nt, keras_nt):
            np.testing.assert_allclose(
                np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6
            )


def test_dropout_in_training_only(data):
    model = build_mlp(
        5,
        2,
        hidden_layer_sizes=(200,),
        activation="relu",
        output_activation="linear",
        kernel_initializer="he_uniform",
        dropout=0.5,
        seed=1,
    )
    forward = FlatForward(model)
    params = [tf.convert_to_tensor(v) for v in model.trainable_variables]
    nt = [tf.convert_to_tensor(v) for v in model.non_trainable_variables]
    seed = tf.constant([3, 7], tf.int64)
    x = [tf.constant(data)]
    eval_out, _ = forward(params, nt, x, False, seed)
    np.testing.assert_allclose(
        eval_out[0].numpy(), model(data).numpy(), rtol=1e-5, atol=1e-6
    )
    train_a, _ = forward(params, nt, x, True, seed)
    train_b, _ = forward(params, nt, x, True, seed)
    train_c, _ = forward(params, nt, x, True, seed + 1)
    np.testing.assert_array_equal(train_a[0].numpy(), train_b[0].numpy())
    assert not np.allclose(train_a[0].numpy(), train_c[0].numpy())
    assert not np.allclose(train_a[0].numpy(), eval_out[0].numpy())


def test_flatten_round_trip():
    model = build_mlp(3, 2, hidden_layer_sizes=(4,), seed=0)
    forward = FlatForward(model)
    values = [tf.convert_to_tensor(v) for v in model.trainable_variables]
    flat = forward.flatten(values)
    assert flat.shape == (sum(int(np.prod(v.shape)) for v in values),)
    for a, b in zip(forward.unflatten(flat), values):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_compiled_forward_matches_numpy_forward(data):
    """The GPU inference path (run here on the CPU) agrees with the NumPy one."""
    model = build_mlp(
        5,
        3,
        hidden_layer_sizes=(7,),
        activation="gelu",
        output_activation="softmax",
        kernel_initializer="he_uniform",
        batch_normalization=True,
        dropout=0.2,
        seed=2,
    )
    compiled = KerasPredictor(model, resolve("cpu"), batch_size=10)  # several batches
    np.testing.assert_allclose(
        compiled(data), NumpyForward(model)(data), rtol=1e-5, atol=1e-6
    )
