"""Every Keras callback honoured by the built-in networks, on every engine.

Each test fits a tiny network for a few epochs with one callback and checks its
effect. On TensorFlow the tests run on the NumPy loop (``engine="auto"``) and on the
Keras engine; on JAX and PyTorch every fit is the Keras engine's.
"""

import csv
import os
import warnings

import keras
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from skdeep.neural_network import MLPRegressor

ENGINES = ["auto", "keras"] if keras.backend.backend() == "tensorflow" else ["keras"]
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
RATE = 0.01


@pytest.fixture(scope="module")
def data():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1 * rng.normal(size=40)


@pytest.fixture(params=ENGINES)
def engine(request):
    return request.param


@pytest.fixture(scope="module")
def one_epoch(data):
    """The network after one epoch without callbacks, per engine (fitted once)."""
    fitted = {}

    def get(engine):
        if engine not in fitted:
            fitted[engine] = _fit(data, engine, None, max_iter=1)
        return fitted[engine]

    return get


def _fit(data, engine, callbacks, **params):
    X, y = data
    params = {
        "hidden_layer_sizes": (4,),
        "max_iter": 3,
        "batch_size": 10,
        "learning_rate_init": RATE,
        "random_state": 0,
        "shuffle": False,
        "engine": engine,
        "callbacks": callbacks,
        **params,
    }
    return MLPRegressor(**params).fit(X, y)


def _rate(optimizer):
    return float(keras.ops.convert_to_numpy(optimizer.learning_rate))


def _expected_engine(engine):
    return "numpy" if engine == "auto" else "keras"


def test_learning_rate_scheduler(data, engine, one_epoch):
    halving = keras.callbacks.LearningRateScheduler(lambda epoch, lr: RATE / 2**epoch)
    est = _fit(data, engine, [halving])
    assert est.engine_ == _expected_engine(engine)
    np.testing.assert_allclose(
        est.history_["learning_rate"], [RATE, RATE / 2, RATE / 4]
    )
    # the rate trains: a rate of 0 from the second epoch on leaves the weights
    frozen = keras.callbacks.LearningRateScheduler(lambda e, lr: RATE if e < 1 else 0.0)
    before = one_epoch(engine)
    after = _fit(data, engine, [frozen])
    for a, b in zip(before.coefs_, after.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_reduce_lr_on_plateau(data, engine):
    # a min_delta no epoch achieves: the rate halves after every second epoch
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="loss", patience=1, factor=0.5, min_delta=1e9
    )
    est = _fit(data, engine, [plateau], max_iter=4)
    np.testing.assert_allclose(
        est.history_["learning_rate"], [RATE, RATE, RATE / 2, RATE / 4], rtol=1e-6
    )
    assert est.engine_ == _expected_engine(engine)


def test_reduce_lr_on_plateau_rescales_a_schedule(data, engine):
    plateau = keras.callbacks.ReduceLROnPlateau(
        monitor="loss", patience=1, factor=0.5, min_delta=1e9
    )
    plain = _fit(data, engine, None, max_iter=4, learning_rate="invscaling")
    est = _fit(data, engine, [plateau], max_iter=4, learning_rate="invscaling")
    ratio = np.divide(est.history_["learning_rate"], plain.history_["learning_rate"])
    np.testing.assert_allclose(ratio, [1, 1, 0.5, 0.25], rtol=1e-6)


def test_early_stopping_restores_the_best_weights(data, engine, one_epoch):
    # no epoch after the first improves by min_delta: it stops after the second
    stop = keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=1e9, restore_best_weights=True
    )
    est = _fit(data, engine, [stop], max_iter=6)
    assert est.n_iter_ == 2
    first = one_epoch(engine)
    for a, b in zip(first.coefs_, est.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    X, _ = data
    np.testing.assert_allclose(est.predict(X), first.predict(X), rtol=1e-6)


def test_early_stopping_start_from_epoch(data, engine):
    stop = keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=1e9, start_from_epoch=2
    )
    assert _fit(data, engine, [stop], max_iter=6).n_iter_ == 4


def test_model_checkpoint(data, engine, tmp_path):
    path = os.fspath(tmp_path / "net.weights.h5")
    est = _fit(
        data, engine, [keras.callbacks.ModelCheckpoint(path, save_weights_only=True)]
    )
    copy = keras.models.clone_model(est.model_)
    copy.load_weights(path)
    for a, b in zip(copy.get_weights(), est.model_.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_saves_a_model_keras_loads(data, engine, tmp_path):
    path = os.fspath(tmp_path / "net.keras")
    est = _fit(data, engine, [keras.callbacks.ModelCheckpoint(path)])
    X, _ = data
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(X.astype("float32"))).ravel(),
        est.predict(X),
        rtol=1e-4,
        atol=1e-5,
    )


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        if epoch == 1:
            raise RuntimeError("stopped")


def test_backup_and_restore(data, engine, tmp_path):
    backup = keras.callbacks.BackupAndRestore(os.fspath(tmp_path / "backup"))
    with pytest.raises(RuntimeError, match="stopped"):
        _fit(data, engine, [backup, _Interrupt()], max_iter=4)
    # the second fit resumes after the two epochs the first completed, from the
    # weights and the optimizer's state they left: as if never interrupted
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*Skipping variable loading")
        est = _fit(data, engine, [backup], max_iter=4)
    assert est.n_iter_ == 4 and len(est.loss_curve_) == 2
    assert not os.path.exists(tmp_path / "backup")  # deleted once training ends
    fresh = keras.callbacks.BackupAndRestore(os.fspath(tmp_path / "fresh"))
    whole = _fit(data, engine, [fresh], max_iter=4)  # the same fit, uninterrupted
    np.testing.assert_allclose(est.loss_curve_, whole.loss_curve_[2:], rtol=1e-6)
    X, _ = data
    np.testing.assert_allclose(est.predict(X), whole.predict(X), rtol=1e-6)
    # the NumPy loop's optimizer state is not the network's: the Keras engine runs
    assert est.engine_ == "keras"


def test_terminate_on_nan(data, engine):
    X, y = data
    params = {"learning_rate_init": 1e4, "solver": "sgd", "max_iter": 20}
    with pytest.raises(ValueError, match="non-finite"):
        _fit((X * 100, y * 1e6), engine, None, **params)
    est = _fit((X * 100, y * 1e6), engine, [keras.callbacks.TerminateOnNaN()], **params)
    assert est.n_iter_ < 20 and not np.isfinite(est.loss_curve_[-1])
    assert np.all(np.isfinite(est.predict(X)))  # the last finite epoch's weights


def test_csv_logger(data, engine, tmp_path):
    path = tmp_path / "log.csv"
    est = _fit(data, engine, [keras.callbacks.CSVLogger(os.fspath(path))])
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    np.testing.assert_allclose([float(r["loss"]) for r in rows], est.loss_curve_)


def test_tensorboard(data, engine, tmp_path):
    _fit(data, engine, [keras.callbacks.TensorBoard(os.fspath(tmp_path))])
    written = [name for _, _, names in os.walk(tmp_path) for name in names]
    assert any(name.startswith("events.out.tfevents") for name in written)


def test_progbar_logger(data, engine, capsys):
    # a user's progress bar shows (verbose=0 would silence it in Keras' fit)
    _fit(data, engine, [keras.callbacks.ProgbarLogger()])
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 3 and "loss" in out and "━" in out
    _fit(data, engine, [keras.callbacks.ProgbarLogger()], verbose=1)
    assert capsys.readouterr().out.count("Epoch ") == 3  # one bar, the user's


def test_lambda_callback(data, engine):
    seen = []
    logger = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(logs["loss"])
    )
    est = _fit(data, engine, [logger])
    assert seen == est.loss_curve_


def test_a_per_step_callback_moves_the_fit_to_the_keras_engine(data, engine):
    steps = []
    counter = keras.callbacks.LambdaCallback(
        on_train_batch_end=lambda batch, logs: steps.append(batch)
    )
    est = _fit(data, engine, [counter])
    assert est.engine_ == "keras"
    assert steps == [0, 1, 2, 3] * 3  # 40 rows in batches of 10, 3 epochs


@pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the NumPy loop is TensorFlow's"
)
@pytest.mark.parametrize(
    "callback, why",
    [
        (keras.callbacks.BackupAndRestore("unused"), "saving the optimizer's state"),
        (keras.callbacks.ModelCheckpoint("unused.keras"), "saving the optimizer"),
        (keras.callbacks.LambdaCallback(on_batch_end=print), "per-step hook"),
    ],
    ids=["backup", "checkpoint", "per-step"],
)
def test_the_numpy_loop_says_which_callback_it_cannot_honour(data, callback, why):
    with pytest.raises(ValueError, match=f"engine='numpy' cannot train.*{why}"):
        _fit(data, "numpy", [callback])


class Halving(keras.callbacks.Callback):
    """Reads the logs and the rate, halves the rate, stops after two epochs."""

    def __init__(self):
        super().__init__()
        self.seen = []

    def on_epoch_end(self, epoch, logs=None):
        optimizer = self.model.optimizer
        self.seen.append((logs["loss"], _rate(optimizer)))
        optimizer.learning_rate = _rate(optimizer) / 2
        if epoch == 1:
            self.model.stop_training = True


def test_a_users_callback_reads_and_sets_the_rate_and_stops(data, engine):
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop is no failure
        est = _fit(data, engine, [Halving()], max_iter=5)
    (halving,) = est.callbacks_
    assert est.n_iter_ == 2
    assert [loss for loss, _ in halving.seen] == est.loss_curve_
    np.testing.assert_allclose([rate for _, rate in halving.seen], [RATE, RATE / 2])
    np.testing.assert_allclose(est.history_["learning_rate"], [RATE, RATE / 2])
    # the NumPy loop's optimizer view is the fit's only
    assert est.engine_ == "keras" or getattr(est.model_, "optimizer", None) is None


@pytest.mark.skipif(ENGINES[0] != "auto", reason="a TensorFlow-backend engine")
def test_the_compiled_loop_shows_callbacks_the_rate_and_keeps_their_weights(
    data, one_epoch
):
    engine = "tensorflow"
    # (the NumPy loop's view, on the compiled TensorFlow loop: the same epoch loop)
    halving = keras.callbacks.LearningRateScheduler(lambda epoch, lr: RATE / 2**epoch)
    stop = keras.callbacks.EarlyStopping(
        monitor="loss", patience=1, min_delta=1e9, restore_best_weights=True
    )
    est = _fit(data, engine, [halving, stop], max_iter=6)
    assert est.engine_ == "tensorflow" and est.n_iter_ == 2
    np.testing.assert_allclose(est.history_["learning_rate"], [RATE, RATE / 2])
    first = one_epoch(engine)
    for a, b in zip(first.coefs_, est.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-6)
