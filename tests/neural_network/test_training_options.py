"""Issue 13's training options of the built-in networks: solvers, learning-rate
schedules, the learning-rate finder, callbacks, checkpoints, TensorBoard, verbosity.

Each test shows the option's effect. Fits are tiny: a few epochs of a small network
on half of iris.
"""

import os
import pickle
import re
import warnings

import keras
import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import (
    MLPClassifier,
    MLPRegressor,
    WideDeepRegressor,
    find_learning_rate,
)

TF = keras.backend.backend() == "tensorflow"
ENGINES = ("numpy", "tensorflow", "keras") if TF else ("keras",)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X)[::2], y[::2]


def _fit(est, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # few epochs on purpose
        return est.fit(X, y)


def _small(**params):
    defaults = dict(hidden_layer_sizes=(8,), max_iter=4, batch_size=16, random_state=0)
    return MLPClassifier(**{**defaults, **params})


# ------------------------------------------------------------------ solvers


@pytest.mark.parametrize(
    "params",
    [
        {"solver": "adamw", "weight_decay": 0.5, "learning_rate_init": 0.01},
        {"solver": "rmsprop", "rho": 0.5, "learning_rate_init": 0.01},
        {"solver": "sgd", "learning_rate": "1cycle", "momentum": 0.0},
        {"solver": "adam", "learning_rate": "exponential", "decay_steps": 3},
    ],
    ids=["adamw", "rmsprop-rho", "1cycle-per-step", "exponential-per-step"],
)
def test_every_engine_applies_the_solver_constants_and_per_step_rates(iris, params):
    """Without shuffling the engines see the same batches: their losses agree to
    rounding only if each honours the constant (rho, weight_decay) or the rate of
    each step, and differ from a run without the option."""
    X, y = iris
    base = _small(shuffle=False, **params)
    curves = [_fit(clone(base).set_params(engine=e), X, y).loss_curve_ for e in ENGINES]
    for curve in curves[1:]:
        np.testing.assert_allclose(curve, curves[0], rtol=1e-5)
    plain = {k: v for k, v in params.items() if k in ("solver",)}
    reference = _fit(_small(shuffle=False, engine=ENGINES[0], **plain), X, y)
    assert not np.allclose(reference.loss_curve_, curves[0], rtol=1e-5)


def test_adamw_weight_decay_shrinks_the_weights(iris):
    X, y = iris
    norms = [
        np.linalg.norm(
            _fit(_small(solver="adamw", weight_decay=wd, max_iter=8), X, y).coefs_[0]
        )
        for wd in (0.0, 20.0)  # each step scales the weights by 1 - 20 * 0.001
    ]
    assert norms[1] < 0.6 * norms[0]


def test_keras_optimizer_instance_is_copied_and_its_settings_used(iris):
    X, y = iris
    optimizer = keras.optimizers.SGD(learning_rate=0.05, momentum=0.5)
    est = _fit(_small(solver=optimizer, shuffle=False), X, y)
    # plain SGD is skdeep's own solver: it trains on the fastest engine
    assert est.engine_ == ENGINES[0]
    assert not optimizer.built  # the instance itself is never used
    assert est.history_["learning_rate"] == pytest.approx([0.05] * 4)
    same = _small(
        solver="sgd",
        momentum=0.5,
        nesterovs_momentum=False,
        learning_rate_init=0.05,
        shuffle=False,
    )
    reference = _fit(same, X, y).loss_curve_
    np.testing.assert_allclose(est.loss_curve_, reference, rtol=1e-5)
    # with a setting skdeep's solvers lack, the Keras optimizer itself trains
    clipped = keras.optimizers.SGD(learning_rate=0.05, momentum=0.5, clipvalue=1e-3)
    est = _fit(_small(solver=clipped, shuffle=False), X, y)
    assert est.engine_ == "keras" and not clipped.built
    unclipped = _fit(clone(same).set_params(engine="keras"), X, y).loss_curve_
    # steps of at most 0.05 * 1e-3 per weight: the loss hardly moves
    assert np.ptp(est.loss_curve_) < 0.2 * np.ptp(unclipped)
    assert est.loss_curve_[-1] > unclipped[-1] + 1e-3
    # searchable and clonable like any parameter
    search = GridSearchCV(
        est, {"solver": [clipped, optimizer, "adam"]}, cv=2, error_score="raise"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert not optimizer.built and not clipped.built


def test_keras_optimizer_instance_errors(iris):
    X, y = iris
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, 10, 0.5)
    with pytest.raises(ValueError, match="own learning-rate schedule"):
        _small(solver=keras.optimizers.Adam(schedule), learning_rate="1cycle").fit(X, y)
    if TF:
        with pytest.raises(ValueError, match="engine='keras'"):
            _small(solver=keras.optimizers.Adam(amsgrad=True), engine="numpy").fit(X, y)


# ------------------------------------------------------------------ schedules


def test_1cycle_rate_rises_then_falls_and_momentum_moves_inversely(iris):
    X, y = iris
    est = _fit(
        _small(
            solver="sgd",
            learning_rate="1cycle",
            learning_rate_init=0.01,
            max_learning_rate=0.1,
            max_iter=20,
            n_iter_no_change=100,
        ),
        X,
        y,
    )
    rates = np.array(est.history_["learning_rate"])
    peak = int(np.argmax(rates))
    assert 5 <= peak <= 12  # half way
    assert np.all(np.diff(rates[: peak + 1]) > 0)
    assert np.all(np.diff(rates[peak:]) < 0)
    assert rates.max() == pytest.approx(0.1, rel=0.1)
    assert rates[-1] < 0.01  # the final drop below the initial rate
    if est.engine_ == "numpy":
        momenta = np.array(est.history_["momentum"])
        assert int(np.argmin(momenta)) == peak
        assert momenta.min() == pytest.approx(0.8, abs=0.01)


def test_exponential_and_piecewise_follow_their_formulas(iris):
    X, y = iris
    n_batches = -(-len(X) // 16)
    est = _fit(
        _small(learning_rate="exponential", decay_rate=0.5, decay_steps=n_batches),
        X,
        y,
    )
    steps = np.arange(4 * n_batches).reshape(4, n_batches)
    expected = (0.001 * 0.5 ** (steps / n_batches)).mean(axis=1)
    np.testing.assert_allclose(est.history_["learning_rate"], expected)
    est = _fit(
        _small(
            learning_rate="piecewise",
            piecewise_boundaries=[1, 3],
            piecewise_values=[0.01, 0.005, 0.001],
        ),
        X,
        y,
    )
    assert est.history_["learning_rate"] == [0.01, 0.005, 0.005, 0.001]


@pytest.mark.parametrize("solver", ["adam", "rmsprop", "sgd"])
def test_adaptive_reduces_the_rate_for_every_solver(iris, solver):
    X, y = iris
    # an unreachable tol: no epoch counts as an improvement
    est = _fit(
        _small(
            solver=solver,
            learning_rate="adaptive",
            tol=1e6,
            n_iter_no_change=1,
            max_iter=6,
            reduce_factor=0.5,
        ),
        X,
        y,
    )
    # scikit-learn's rule: more than n_iter_no_change stalled epochs (the first
    # always improves on an infinite best loss)
    assert est.history_["learning_rate"] == pytest.approx(
        [0.001, 0.001, 0.001, 0.0005, 0.0005, 0.00025]
    )


@pytest.mark.parametrize(
    "params, match",
    [
        ({"learning_rate": "piecewise"}, "needs piecewise_boundaries"),
        (
            {
                "learning_rate": "piecewise",
                "piecewise_boundaries": [2],
                "piecewise_values": [0.1],
            },
            "one more rate",
        ),
        (
            {
                "learning_rate": "piecewise",
                "piecewise_boundaries": [3, 2],
                "piecewise_values": [0.1, 0.2, 0.3],
            },
            "increasing",
        ),
        ({"learning_rate": "1cycle", "max_learning_rate": 1e-4}, "must exceed"),
    ],
)
def test_schedule_parameter_errors(iris, params, match):
    with pytest.raises(ValueError, match=match):
        _small(**params).fit(*iris)


def test_schedules_are_searchable(iris):
    X, y = iris
    search = GridSearchCV(
        _small(solver="sgd", momentum=0.0),
        {"learning_rate": ["constant", "1cycle"], "solver": ["sgd", "adamw"]},
        cv=2,
        error_score="raise",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    assert len(search.cv_results_["params"]) == 4


# ------------------------------------------------------------------ finder


def test_find_learning_rate_grows_the_rate_and_leaves_the_estimator(iris):
    figure = pytest.importorskip("matplotlib.figure")  # a test extra

    X, y = iris
    est = _fit(_small(batch_size=4), X, y)
    params, coefs = est.get_params(), [c.copy() for c in est.coefs_]
    state = set(vars(est))
    ax = figure.Figure().subplots()  # no pyplot: no global figure state
    result = find_learning_rate(est, X, y, min_rate=1e-4, max_rate=10, ax=ax)
    assert result.ax is ax and len(ax.get_lines()) == 2
    rates, losses = result.rates, result.losses
    assert len(rates) == len(losses) >= 5
    np.testing.assert_allclose(rates[1:] / rates[:-1], rates[1] / rates[0])
    assert rates[0] == pytest.approx(1e-4)
    assert rates[0] < result.suggested_rate < rates[-1]
    # too high a rate ends the pass: the last loss is far above the best one
    assert losses[-1] > 2 * losses.min() or len(rates) == len(X) // 4
    assert est.get_params() == params and set(vars(est)) == state
    for a, b in zip(est.coefs_, coefs):
        np.testing.assert_array_equal(a, b)


def test_find_learning_rate_regressors(iris):
    X, _ = iris
    y = X[:, 0] - X[:, 1]
    for est in (
        MLPRegressor(hidden_layer_sizes=(8,), batch_size=5, random_state=0),
        WideDeepRegressor(hidden_layer_sizes=(8,), batch_size=5, random_state=0),
    ):
        result = find_learning_rate(est, X, y, plot=False)
        assert result.ax is None and np.all(np.isfinite(result.losses))
        assert not hasattr(est, "model_")


def test_power_scheduling_sets_the_books_rate_at_every_step(iris):
    X, y = iris
    est = _fit(
        _small(
            learning_rate="power",
            learning_rate_init=0.01,
            decay_steps=3,
            power_t=1.0,
            batch_size=25,
        ),
        X,
        y,
    )
    # 75 rows in batches of 25: steps 0-2, 3-5 ... of lr0 / (1 + step / s) ** c
    steps = np.arange(3 * est.n_iter_).reshape(est.n_iter_, 3)
    expected = (0.01 / (1 + steps / 3) ** 1.0).mean(axis=1)
    np.testing.assert_allclose(est.history_["learning_rate"], expected)
    plain = _fit(_small(learning_rate_init=0.01, batch_size=25), X, y)
    assert not np.allclose(est.loss_curve_[1:], plain.loss_curve_[1:])


# ------------------------------------------------------------------ callbacks


class Recorder(keras.callbacks.Callback):
    def __init__(self, stop_at=None, interrupt_at=None):
        super().__init__()
        self.stop_at, self.interrupt_at = stop_at, interrupt_at
        self.epochs, self.logs, self.weights = [], [], []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)
        self.logs.append(dict(logs))
        self.weights.append(self.model.get_weights()[0].copy())
        if epoch + 1 == self.interrupt_at:
            raise KeyboardInterrupt
        if epoch + 1 == self.stop_at:
            self.model.stop_training = True


def test_callbacks_get_the_logs_and_the_epoch_model(iris):
    X, y = iris
    recorder = Recorder()
    est = _fit(_small(callbacks=[recorder], early_stopping=True), X, y)
    assert recorder.epochs == [] and recorder.model is None  # copied, not used
    (copy,) = est.callbacks_
    assert copy.epochs == [0, 1, 2, 3]
    assert set(copy.logs[0]) == {"loss", "val_loss", "val_score", "learning_rate"}
    assert [logs["loss"] for logs in copy.logs] == est.history_["loss"]
    assert [logs["val_loss"] for logs in copy.logs] == est.history_["val_loss"]
    # the model the callback sees holds each epoch's weights
    assert not np.array_equal(copy.weights[0], copy.weights[-1])


def test_fitted_with_callbacks_and_an_optimizer_instance_pickles(iris):
    X, y = iris
    est = _fit(
        _small(
            callbacks=[Recorder()],
            solver=keras.optimizers.Adam(0.01, clipnorm=1.0),
            learning_rate="1cycle",
        ),
        X,
        y,
    )
    assert est.callbacks_[0].model is None  # the copies do not hold the network
    loaded = pickle.loads(pickle.dumps(est))
    np.testing.assert_allclose(loaded.predict_proba(X), est.predict_proba(X))
    assert loaded.callbacks_[0].epochs == [0, 1, 2, 3]


def test_a_callback_stops_training(iris):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # a stop is no failure
        est = _small(callbacks=[Recorder(stop_at=2)], max_iter=10).fit(X, y)
    assert est.n_iter_ == 2 and len(est.history_["loss"]) == 2


def test_val_loss_is_recorded_with_early_stopping(iris):
    X, y = iris
    curves = [
        _fit(
            _small(early_stopping=True, engine=e, max_iter=6, shuffle=False), X, y
        ).history_
        for e in ENGINES
    ]
    history = curves[0]
    assert len(history["val_loss"]) == len(history["val_score"]) == 6
    assert history["val_loss"][-1] < history["val_loss"][0]  # it learns
    for other in curves[1:]:  # the same definition in every engine
        np.testing.assert_allclose(other["val_loss"], history["val_loss"], rtol=1e-5)


# ------------------------------------------------------------------ checkpoints


def test_resume_continues_the_epoch_count_and_the_optimizer(iris, tmp_path):
    X, y = iris
    path = tmp_path / "fit.ckpt"
    uninterrupted = _fit(_small(max_iter=6), X, y)
    interrupted = _small(
        max_iter=6, checkpoint_path=path, callbacks=[Recorder(interrupt_at=3)]
    )
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit(X, y)
    assert interrupted.n_iter_ == 3  # the completed epochs are kept
    resumed = _fit(_small(max_iter=6, checkpoint_path=path), X, y)
    assert resumed.n_iter_ == 6 and len(resumed.history_["loss"]) == 6
    # the same six epochs as without the interruption (optimizer state included)
    np.testing.assert_allclose(resumed.loss_curve_, uninterrupted.loss_curve_)
    for a, b in zip(resumed.coefs_, uninterrupted.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10)
    # a finished fit's checkpoint is not resumed: the next fit starts afresh
    again = _fit(_small(max_iter=6, checkpoint_path=path), X, y)
    np.testing.assert_allclose(again.loss_curve_, uninterrupted.loss_curve_)


def test_resume_with_early_stopping_keeps_the_best_epoch(iris, tmp_path):
    X, y = iris
    params = dict(
        max_iter=12,
        early_stopping=True,
        n_iter_no_change=3,
        learning_rate="adaptive",
        learning_rate_init=0.05,
    )
    uninterrupted = _fit(_small(**params), X, y)
    assert uninterrupted.n_iter_ > 4  # the interruption below cuts the fit short
    path = tmp_path / "es.ckpt"
    with pytest.raises(KeyboardInterrupt):
        _small(
            checkpoint_path=path, callbacks=[Recorder(interrupt_at=4)], **params
        ).fit(X, y)
    resumed = _fit(_small(checkpoint_path=path, **params), X, y)
    assert resumed.n_iter_ == uninterrupted.n_iter_
    assert set(resumed.history_) == set(uninterrupted.history_)
    for key, values in uninterrupted.history_.items():
        np.testing.assert_allclose(resumed.history_[key], values, rtol=1e-10)
    np.testing.assert_allclose(
        resumed.predict_proba(X), uninterrupted.predict_proba(X), rtol=1e-10
    )


def test_checkpoint_best_only_saves_improving_epochs(iris, tmp_path):
    X, y = iris
    path = tmp_path / "best.ckpt"
    est = _fit(
        _small(
            max_iter=8,
            early_stopping=True,
            checkpoint_path=path,
            checkpoint_best_only=True,
            learning_rate_init=0.05,
        ),
        X,
        y,
    )
    with open(path, "rb") as f:
        payload = pickle.load(f)
    scores = est.validation_scores_
    best_epoch = int(np.argmax(scores)) + 1
    assert payload["attributes"]["n_iter_"] == best_epoch
    assert payload["finished"]


def test_checkpoint_of_another_network_is_refused(iris, tmp_path):
    X, y = iris
    path = tmp_path / "fit.ckpt"
    with pytest.raises(KeyboardInterrupt):
        _small(checkpoint_path=path, callbacks=[Recorder(interrupt_at=1)]).fit(X, y)
    with pytest.raises(ValueError, match="another network"):
        _small(hidden_layer_sizes=(5,), checkpoint_path=path).fit(X, y)


# ------------------------------------------------------------------ TensorBoard


def test_tensorboard_writes_event_files_in_a_fresh_run_directory(iris, tmp_path):
    X, y = iris
    est = _small(tensorboard_log_dir=tmp_path, early_stopping=True)
    first = _fit(est, X, y).tensorboard_run_dir_
    second = _fit(est, X, y).tensorboard_run_dir_
    assert first != second
    assert sorted(os.listdir(tmp_path)) == sorted(
        os.path.basename(d) for d in (first, second)
    )
    assert "MLPClassifier_8_relu_adam_lr0.001" in first
    events = [f for f in os.listdir(first) if f.startswith("events.out.tfevents")]
    assert events and os.path.getsize(os.path.join(first, events[0])) > 100

    from tensorboard.backend.event_processing import event_accumulator

    acc = event_accumulator.EventAccumulator(first)
    acc.Reload()
    tags = set(acc.Tags()["tensors"])
    assert {"epoch_loss", "epoch_val_loss", "epoch_learning_rate"} <= tags
    assert len(acc.Tensors("epoch_loss")) == 4


# ------------------------------------------------------------------ verbose


def test_verbose_levels(iris, capsys):
    X, y = iris
    _fit(_small(verbose=0), X, y)
    assert capsys.readouterr().out == ""
    _fit(_small(verbose=2, early_stopping=True), X, y)
    lines = capsys.readouterr().out.strip().splitlines()
    # scikit-learn's lines: the loss with 8 decimals, then the validation score
    assert len(lines) == 8
    assert re.fullmatch(r"Iteration 1, loss = \d+\.\d{8}", lines[0])
    assert re.fullmatch(r"Validation score: \d\.\d{6}", lines[1])
    assert lines[6].startswith("Iteration 4, loss = ")
    _fit(_small(verbose=1, early_stopping=True), X, y)
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 4 and "val_score" in out and "━" in out


# ------------------------------------------------------------------ side effects


def test_training_options_leave_global_state_alone(iris, tmp_path):
    import random

    X, y = iris
    state = (random.getstate(), np.random.get_state()[1].copy())  # noqa: NPY002
    keras_state = (keras.backend.floatx(), keras.config.dtype_policy().name)
    rng = np.random.RandomState(0)
    est = _small(
        random_state=rng,
        learning_rate="1cycle",
        callbacks=[Recorder()],
        checkpoint_path=tmp_path / "c.ckpt",
        tensorboard_log_dir=tmp_path,
        early_stopping=True,
    )
    before = rng.get_state()[1].copy()
    find_learning_rate(est, X, y, plot=False)
    np.testing.assert_array_equal(rng.get_state()[1], before)
    _fit(clone(est).set_params(random_state=None), X, y)
    assert random.getstate() == state[0]
    np.testing.assert_array_equal(np.random.get_state()[1], state[1])  # noqa: NPY002
    assert (keras.backend.floatx(), keras.config.dtype_policy().name) == keras_state
