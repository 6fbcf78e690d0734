"""The fast loops train exactly as Keras' own fit, and hand over what they can't run."""

import keras
import numpy as np
import pytest

from skdeep._bridge.engine import Predictor, TrainingSpec, fast_path_refusal, fit_model
from skdeep._bridge.engine._loop import logs_refusal

# TensorFlow and JAX have a fast loop; other backends (PyTorch) fit with model.fit,
# where the same behaviours must hold.
FAST = keras.backend.backend() in ("tensorflow", "jax")


def _takes_the_fast_loop(model, X, spec):
    refusal = fast_path_refusal(model, X, spec)
    if FAST:
        return refusal is None
    return refusal == f"the {keras.backend.backend()} backend has no fast loop"


def _model(seed=0, dropout=0.0, regularizer=None):
    layers = [
        keras.Input((6,)),
        keras.layers.Dense(
            16,
            activation="relu",
            kernel_initializer=keras.initializers.GlorotUniform(seed),
            kernel_regularizer=regularizer,
        ),
    ]
    if dropout:
        layers.append(keras.layers.Dropout(dropout, seed=seed))
    layers.append(
        keras.layers.Dense(
            3,
            activation="softmax",
            kernel_initializer=keras.initializers.GlorotUniform(seed + 1),
        )
    )
    model = keras.Sequential(layers)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@pytest.mark.skipif(not FAST, reason="this Keras backend has no fast loop to compare")
# a batch larger than the data: each epoch (and the validation) is one minibatch,
# which the TensorFlow loop runs without a graph loop
@pytest.mark.parametrize(
    "sample_weight, batch_size", [(False, 50), (True, 50), (True, 10_000)]
)
def test_fast_loop_equals_keras_fit_without_shuffling(
    classes3, sample_weight, batch_size
):
    X, y = classes3
    X = X.astype("float32")
    weights = np.linspace(0.5, 2.0, len(y)) if sample_weight else None
    spec = TrainingSpec(
        epochs=3, batch_size=batch_size, shuffle=False, validation_split=0.2
    )
    assert fast_path_refusal(_model(), X, spec) is None
    ours = _model()
    history = fit_model(ours, X, y, weights, spec)
    reference = _model()
    expected = reference.fit(
        X,
        y,
        sample_weight=weights,
        epochs=3,
        batch_size=batch_size,
        shuffle=False,
        validation_split=0.2,
        verbose=0,
    )
    for a, b in zip(ours.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert set(history.history) == set(expected.history)
    for name, values in expected.history.items():
        np.testing.assert_allclose(history.history[name], values, rtol=1e-4)


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="counts tf.function traces"
)
@pytest.mark.parametrize("batch_size", [16, 10_000])
def test_tensorflow_loop_traces_its_epoch_once(classes3, monkeypatch, batch_size):
    """The optimizer's slots exist before the first epoch: tf.function traces it
    once, not a second time for the variables a first trace would create."""
    from skdeep._bridge.engine import _tensorflow

    loops = []
    original = _tensorflow.EpochLoop.train_epoch

    def train_epoch(self, order):
        loops.append(self)
        return original(self, order)

    monkeypatch.setattr(_tensorflow.EpochLoop, "train_epoch", train_epoch)
    X, y = classes3
    model = _model()
    traced = []  # one entry per trace of the step (the traced graph runs no Python)
    train_step = model.train_step

    def counted_train_step(data):
        traced.append(data)
        return train_step(data)

    model.train_step = counted_train_step
    spec = TrainingSpec(epochs=3, batch_size=batch_size, shuffle=True)
    fit_model(model, X.astype("float32"), y, None, spec)
    assert len(loops) == 3 and len(loops[0]._train) == 1
    assert len(traced) == 1


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="counts tf.function traces"
)
def test_predictor_traces_once_for_any_number_of_rows(classes3):
    X, _ = classes3
    X = X.astype("float32")
    model = _model()
    traced = []
    predict_step = model.predict_step

    def counted_predict_step(data):
        traced.append(data)
        return predict_step(data)

    model.predict_step = counted_predict_step
    predictor = Predictor(model)
    for rows in (1, 10, 37, len(X), 10):
        np.testing.assert_allclose(
            predictor(X[:rows]), keras.ops.convert_to_numpy(model(X[:rows])), rtol=1e-6
        )
    assert len(traced) == 1


def test_regularization_losses_are_trained(classes3):
    X, y = classes3
    spec = TrainingSpec(epochs=2, batch_size=32, shuffle=False)
    plain = fit_model(_model(), X, y, None, spec).history["loss"]
    l2 = keras.regularizers.L2(0.5)
    regularized = fit_model(_model(regularizer=l2), X, y, None, spec).history["loss"]
    assert regularized[0] > plain[0] + 0.05  # model.losses are part of the loss


def test_frozen_layer_stays_bit_identical(classes3):
    X, y = classes3
    model = _model()
    frozen = model.layers[0]
    frozen.trainable = False
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = [w.copy() for w in frozen.get_weights()]
    head_before = model.layers[-1].get_weights()[0].copy()
    fit_model(model, X, y, None, TrainingSpec(epochs=2, batch_size=16))
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head_before, model.layers[-1].get_weights()[0])


def test_schedule_changes_the_learning_rate(classes3):
    X, y = classes3
    schedule = keras.optimizers.schedules.ExponentialDecay(0.1, 5, 0.5)
    model = _model()
    model.compile(
        optimizer=keras.optimizers.SGD(schedule),
        loss="sparse_categorical_crossentropy",
    )
    fit_model(model, X, y, None, TrainingSpec(epochs=2, batch_size=24))
    steps = int(model.optimizer.iterations.numpy())
    assert steps == 20
    lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
    assert lr == pytest.approx(0.1 * 0.5 ** (steps / 5), rel=1e-5)


def test_callbacks_are_called_once_per_epoch_and_can_stop(classes3):
    X, y = classes3
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((epoch, sorted(logs)))
            if epoch == 2:
                self.model.stop_training = True

    spec = TrainingSpec(epochs=10, batch_size=32, callbacks=(Recorder(),))
    assert _takes_the_fast_loop(_model(), X, spec)
    history = fit_model(_model(), X, y, None, spec)
    assert [epoch for epoch, _ in seen] == [0, 1, 2]
    assert seen[0][1] == ["accuracy", "loss"]
    assert history.epoch == [0, 1, 2]


def test_step_level_callbacks_go_to_keras_fit(classes3):
    X, y = classes3
    batches = []

    class PerBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batches.append(batch)

    spec = TrainingSpec(epochs=1, batch_size=60, callbacks=(PerBatch(),))
    refusal = fast_path_refusal(_model(), X, spec)
    assert "per-batch" in refusal if FAST else "no fast loop" in refusal
    fit_model(_model(), X, y, None, spec)
    assert batches == [0, 1, 2, 3]  # Keras' fit ran: every step was reported


def test_learning_rate_callbacks_act_on_the_fast_loop(classes3):
    X, y = classes3
    scheduler = keras.callbacks.LearningRateScheduler(
        lambda epoch, lr: 0.001 * 2**epoch
    )
    model = _model()
    history = fit_model(
        model, X, y, None, TrainingSpec(epochs=3, batch_size=32, callbacks=(scheduler,))
    )
    np.testing.assert_allclose(history.history["learning_rate"], [0.001, 0.002, 0.004])


def test_tensorboard_writes_event_files(classes3, tmp_path):
    X, y = classes3
    board = keras.callbacks.TensorBoard(log_dir=str(tmp_path))
    spec = TrainingSpec(epochs=2, batch_size=32, callbacks=(board,))
    assert _takes_the_fast_loop(_model(), X, spec)
    fit_model(_model(), X, y, None, spec, validation_data=(X[:20], y[:20]))
    events = list(tmp_path.rglob("events.out.tfevents.*"))
    assert events, "TensorBoard wrote no event file"


def test_dropout_trains_in_training_mode_and_predicts_in_inference_mode(classes3):
    X, y = classes3
    model = _model(dropout=0.5)
    fit_model(model, X, y, None, TrainingSpec(epochs=1, batch_size=32))
    predictor = Predictor(model)
    first, second = predictor(X), predictor(X)
    np.testing.assert_array_equal(first, second)  # no dropout at inference
    expected = keras.ops.convert_to_numpy(model(X, training=False))
    np.testing.assert_allclose(first, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("rows", [1, 3, 17, 100])
def test_predictor_matches_model_predict(classes3, rows):
    X, _ = classes3
    model = _model()
    expected = model.predict(X[:rows], verbose=0)
    np.testing.assert_allclose(Predictor(model)(X[:rows]), expected, rtol=1e-5)
    np.testing.assert_allclose(
        Predictor(model)(X[:rows], batch_size=7), expected, rtol=1e-5
    )


def _own_logs(logs, extra):
    """A custom step's logs: the metrics as Keras' step returns them, or with
    ``extra`` a log of its own in place of the accuracy."""
    if not extra:
        return logs
    return {"loss": logs["loss"], "extra": keras.ops.convert_to_tensor(7.0)}


def _custom_step_model(extra, seed=0):
    """``_model`` whose class has its own train_step and test_step (each backend's
    signature)."""
    if keras.backend.backend() == "jax":

        class Custom(keras.Sequential):
            def train_step(self, state, data):
                logs, state = super().train_step(state, data)
                return _own_logs(logs, extra), state

            def test_step(self, state, data):
                logs, state = super().test_step(state, data)
                return _own_logs(logs, extra), state

    else:

        class Custom(keras.Sequential):
            def train_step(self, data):
                return _own_logs(super().train_step(data), extra)

            def test_step(self, data):
                return _own_logs(super().test_step(data), extra)

    model = Custom(_model(seed).layers)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


@pytest.mark.parametrize("extra", [False, True], ids=["metrics", "logs-of-its-own"])
def test_a_custom_step_records_what_keras_fit_records(classes3, extra):
    """Keras' fit records the metrics where the step's logs carry their names, and
    otherwise the step's own logs: a custom step with logs of its own trains in
    model.fit (found before any training), one that returns the metrics stays in
    the fast loop, and both record what fit records."""
    X, y = classes3
    X = X.astype("float32")
    spec = TrainingSpec(epochs=3, batch_size=32, shuffle=False, validation_split=0.2)
    refusal = logs_refusal(_custom_step_model(extra), X, y, None, spec)
    if not FAST:
        assert refusal is None  # model.fit trains it in any case
    elif extra:
        assert "train_step returns logs (['extra', 'loss'])" in refusal
    else:
        assert refusal is None
    history = fit_model(_custom_step_model(extra), X, y, None, spec)
    expected = _custom_step_model(extra).fit(
        X, y, epochs=3, batch_size=32, shuffle=False, validation_split=0.2, verbose=0
    )
    assert sorted(history.history) == sorted(expected.history)
    if extra:
        assert history.history["extra"] == history.history["val_extra"] == [7.0] * 3
    for name, values in expected.history.items():
        np.testing.assert_allclose(history.history[name], values, rtol=1e-5, atol=1e-6)


# -- fits of one network share its compiled step (``_build.shared_step``) ----------


def _functional(units=16, loss="sparse_categorical_crossentropy", name=None):
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(units, activation="relu", name=name)(inputs)
    outputs = keras.layers.Dense(3, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss=loss)
    return model


def test_networks_built_alike_have_one_key_and_others_another():
    from skdeep._bridge.engine._build import shared_step

    key = shared_step(_model())[0]
    assert shared_step(_model(seed=5))[0] == key  # other names, other weights
    assert shared_step(_functional())[0] == shared_step(_functional(name="mine"))[0]
    assert shared_step(_functional())[0] != key
    assert shared_step(_functional(units=8))[0] != shared_step(_functional())[0]
    # a loss's dtype is not in its config, but it is in the key
    float64 = keras.losses.SparseCategoricalCrossentropy(dtype="float64")
    assert shared_step(_functional(loss=float64))[0] != shared_step(_functional())[0]


def _custom_layer_model():
    class Double(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    model = keras.Sequential([keras.Input((6,)), Double(), keras.layers.Dense(3)])
    model.compile("adam", "mse")
    return model


def _custom_loss_model():
    def my_loss(y_true, y_pred):
        return keras.ops.mean((y_true - y_pred) ** 2)

    return _functional(loss=my_loss)


def _overridden_step_model():
    class Stepped(keras.Sequential):
        def train_step(self, data):  # pragma: no cover - never run
            return super().train_step(data)

    model = Stepped([keras.Input((6,)), keras.layers.Dense(3)])
    model.compile("adam", "mse")
    return model


def _excluding_optimizer_model():
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3)])
    optimizer = keras.optimizers.AdamW(weight_decay=0.1)
    optimizer.exclude_from_weight_decay(var_names=["bias"])
    model.compile(optimizer, "mse")
    return model


def _lambda_model():
    scale = 3.0
    model = keras.Sequential(
        [keras.Input((6,)), keras.layers.Lambda(lambda x: scale * x)]
    )
    model.compile("adam", "mse")
    return model


@pytest.mark.parametrize(
    "make",
    [
        _custom_layer_model,
        _custom_loss_model,
        _overridden_step_model,
        _excluding_optimizer_model,
        _lambda_model,
    ],
    ids=[
        "custom layer",
        "loss function",
        "custom step",
        "weight-decay exclusions",
        "Lambda",
    ],
)
def test_what_a_config_may_not_fix_trains_with_its_own_step(make):
    """Behaviour that may hang on more than a config holds (a custom class, a
    Python function, an optimizer's exclusions) is never shared."""
    from skdeep._bridge.engine._build import shared_step

    assert shared_step(make()) is None


@pytest.mark.skipif(not FAST, reason="this Keras backend has no fast loop to share")
def test_wrapper_fits_share_one_step_and_train_as_alone(classes3, monkeypatch):
    from skdeep._bridge.engine import _loop
    from skdeep.wrappers import KerasClassifier

    engine = _loop._backend_module()
    monkeypatch.setattr(engine, "_SHARED", type(engine._SHARED)())
    X, y = classes3

    def fit(seed):  # the seed shuffles the rows (the layers' own seeds are fixed)
        return KerasClassifier(
            _model, model__dropout=0.3, epochs=3, random_state=seed
        ).fit(X, y)

    first, other, again = fit(0), fit(1), fit(0)
    assert len(engine._SHARED) == 1  # one template for the three fits
    np.testing.assert_array_equal(again.predict_proba(X), first.predict_proba(X))
    assert other.history_["loss"] != first.history_["loss"]
    monkeypatch.setattr(engine.EpochLoop, "share", lambda self, key, make: None)
    own = fit(0)
    assert own.history_["loss"] == first.history_["loss"]
    np.testing.assert_array_equal(own.predict_proba(X), first.predict_proba(X))
