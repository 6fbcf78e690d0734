"""Faults and concurrency: interrupted fits, concurrent predict from threads."""

import _thread
import contextlib
import signal
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import get_tags

from skdeep import MLPClassifier, MLPRegressor, WideDeepRegressor
from skdeep.utils._testing import estimator_instances

ENGINES = ["numpy", "tensorflow"]
NEURAL = [MLPClassifier, MLPRegressor, WideDeepRegressor]


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _data(cls, n_samples=60):
    X, y = make_blobs(n_samples=n_samples, centers=3, random_state=0)
    if cls is MLPClassifier:
        return X, y
    return X, y.astype(float)


def _model(cls, engine, **params):
    base = dict(
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=20,
        tol=0.0,
        n_iter_no_change=1000,
        random_state=0,
        engine=engine,
    )
    return cls(**{**base, **params})


def _outputs(model, X):
    out = {"predict": model.predict(X)}
    if hasattr(model, "predict_proba"):
        out["predict_proba"] = model.predict_proba(X)
    return out


def _wrap_epochs(monkeypatch, model, wrap):
    """Run every epoch of ``model``'s next fits through ``wrap(run_epoch)``."""
    original = model._make_engine

    def make_engine(*args, **kwargs):
        engine = original(*args, **kwargs)
        engine.run_epoch = wrap(engine.run_epoch)
        return engine

    monkeypatch.setattr(model, "_make_engine", make_engine)


@contextlib.contextmanager
def _interrupt_at_epoch(monkeypatch, model, epoch):
    """A KeyboardInterrupt inside the ``epoch``-th epoch (1-based) of this fit."""
    calls = []

    def wrap(run_epoch):
        def interrupted(*a, **k):
            calls.append(1)
            if len(calls) == epoch:
                raise KeyboardInterrupt
            return run_epoch(*a, **k)

        return interrupted

    _wrap_epochs(monkeypatch, model, wrap)
    yield calls


# --------------------------------------------------------------- KeyboardInterrupt


@pytest.mark.parametrize("early_stopping", [False, True])
@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("cls", NEURAL, ids=lambda c: c.__name__)
def test_interrupt_keeps_the_last_completed_epoch(
    cls, engine, early_stopping, monkeypatch
):
    X, y = _data(cls)
    model = _model(cls, engine, early_stopping=early_stopping)
    with _interrupt_at_epoch(monkeypatch, model, epoch=6):
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
    assert model.n_iter_ == 5
    assert len(model.loss_curve_) == 5
    # the same as a fit of those 5 epochs: their weights (the best-scoring one with
    # early stopping) and fitted attributes
    with _quiet():
        reference = _model(cls, engine, early_stopping=early_stopping, max_iter=5)
        reference.fit(X, y)
    assert model.loss_curve_ == reference.loss_curve_
    for name, values in _outputs(reference, X).items():
        np.testing.assert_array_equal(getattr(model, name)(X), values)
    for a, b in zip(model.coefs_, reference.coefs_):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("engine", ENGINES)
def test_interrupt_in_the_first_epoch_keeps_the_previous_state(engine, monkeypatch):
    X, y = _data(MLPClassifier)
    model = _model(MLPClassifier, engine, max_iter=5)
    with pytest.raises(KeyboardInterrupt):
        with _interrupt_at_epoch(monkeypatch, model, epoch=1):
            model.fit(X, y)
    assert not hasattr(model, "model_")  # unfitted, as before the call
    monkeypatch.undo()
    with _quiet():
        model.fit(X, y)
    before = _outputs(model, X)
    attributes = (model.n_iter_, list(model.loss_curve_), model.t_)
    X2, y2 = make_blobs(n_samples=30, centers=2, random_state=1)
    for call in (lambda: model.fit(X2, y2), lambda: model.partial_fit(X, y)):
        with _interrupt_at_epoch(monkeypatch, model, epoch=1):
            with pytest.raises(KeyboardInterrupt):
                call()
        monkeypatch.undo()
        assert (model.n_iter_, model.loss_curve_, model.t_) == attributes
        for name, values in before.items():
            np.testing.assert_array_equal(getattr(model, name)(X), values)


@pytest.mark.parametrize("engine", ENGINES)
def test_real_interrupt_during_a_long_fit(engine, monkeypatch):
    """SIGINT's KeyboardInterrupt lands anywhere in the loop: still usable."""
    X, y = _data(MLPClassifier, n_samples=200)
    # no stopping rule ends it before the interrupt, and max_iter bounds it (tens of
    # seconds) should the interrupt never come
    model = _model(
        MLPClassifier,
        engine,
        max_iter=5_000,
        batch_size=8,
        tol=0.0,
        n_iter_no_change=np.inf,
    )
    # the clock starts once the first epoch is done: on a loaded machine tracing the
    # TensorFlow step alone can take seconds, and an interrupt before any epoch is
    # test_interrupt_in_the_first_epoch_keeps_the_previous_state's case
    timer = threading.Timer(0.5, _thread.interrupt_main)

    def wrap(run_epoch):
        def timed(*a, **k):
            result = run_epoch(*a, **k)
            if not timer.ident:  # not started yet
                timer.start()
            return result

        return timed

    _wrap_epochs(monkeypatch, model, wrap)
    # interrupt_main does nothing unless Python handles SIGINT; an earlier test (or
    # a library it ran) may have replaced the handler
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    start = time.perf_counter()
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert time.perf_counter() - start < 60
    assert model.n_iter_ >= 1  # the interrupt came after the first epoch
    assert len(model.loss_curve_) == model.n_iter_
    proba = model.predict_proba(X)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert model.score(X, y) > 0.9  # trained, not a half-written network


# --------------------------------------------------------------- threads

INSTANCES = list(estimator_instances(every_engine=True))


def _id(estimator):
    engine = estimator.get_params().get("engine", "")
    return type(estimator).__name__ + (f"-{engine}" if engine else "")


def _fit_data(estimator):
    X, y = make_blobs(n_samples=80, centers=3, random_state=0)
    if "unlabelled_label" in estimator.get_params():
        y = y.copy()
        y[10:] = estimator.get_params()["unlabelled_label"]
        return X, y
    kind = get_tags(estimator).estimator_type
    if kind == "classifier":
        return X, y
    if kind == "regressor":
        return X, y.astype(float)
    return X, None


def _concurrent_predictions_match(model, methods):
    rng = np.random.default_rng(0)
    # different sizes: one row, a few, and more rows than one inference chunk
    queries = [rng.normal(size=(n, model.n_features_in_)) * 5 for n in (1, 7, 5000)]
    queries += [q.astype(np.float32) for q in queries[:2]]
    expected = {
        (i, m): getattr(model, m)(q) for i, q in enumerate(queries) for m in methods
    }
    tasks = [(i % len(queries), methods[i % len(methods)]) for i in range(96)]
    barrier = threading.Barrier(8)

    def run(task):
        i, method = task
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait(timeout=5)  # start together
        return getattr(model, method)(queries[i])

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(run, tasks))
    for task, result in zip(tasks, results):
        np.testing.assert_array_equal(result, expected[task], err_msg=str(task))


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_concurrent_predict_from_threads(estimator):
    model = clone(estimator)
    with _quiet():
        model.fit(*_fit_data(model))
    methods = [
        m
        for m in ("predict", "predict_proba", "decision_function", "score_samples")
        if hasattr(model, m)
    ]
    _concurrent_predictions_match(model, methods)


@pytest.mark.parametrize("engine", ENGINES)
def test_concurrent_predict_through_the_compiled_pass(engine):
    """The traced TensorFlow pass that GPUs use, shared by threads (on the CPU)."""
    from skdeep._bridge._devices import resolve
    from skdeep.neural_network._engine import KerasPredictor

    X, y = _data(MLPClassifier)
    with _quiet():
        model = _model(MLPClassifier, engine).fit(X, y)
    model._predictor = KerasPredictor(model.model_, resolve("cpu"))
    _concurrent_predictions_match(model, ["predict", "predict_proba"])


def _command_lines_handler(calls):
    """A SIGINT handler as ``skdeep``'s command installs (``_cli``): it raises
    KeyboardInterrupt, and says so."""

    def on_ctrl_c(signum, frame):
        calls.append(signum)
        raise KeyboardInterrupt

    on_ctrl_c.raises_keyboard_interrupt = True
    return on_ctrl_c


@pytest.mark.parametrize("handler", ["python's", "the command line's"])
@pytest.mark.parametrize("engine", ENGINES)
def test_an_interrupt_while_an_epoch_is_recorded_stops_after_that_epoch(
    engine, handler, monkeypatch
):
    """Ctrl-C between two epochs' runs (the fit records the epoch, the curves,
    the callbacks, where Keras' code can swallow a KeyboardInterrupt) waits until
    the epoch is recorded, then goes to the handler: the fit stops after that
    epoch and keeps it (before, the estimator was put back unfitted, or under the
    command line the interrupt could be lost and the fit run on)."""
    handled = []
    handler = (
        signal.default_int_handler
        if handler == "python's"
        else _command_lines_handler(handled)
    )
    X, y = _data(MLPClassifier, n_samples=60)
    model = _model(MLPClassifier, engine, max_iter=10)
    calls = []
    original = model._extend_history

    def extend_history(history):
        calls.append(1)
        if len(calls) == 2:  # the second epoch's bookkeeping
            _thread.interrupt_main()
        return original(history)

    monkeypatch.setattr(model, "_extend_history", extend_history)
    previous = signal.signal(signal.SIGINT, handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            model.fit(X, y)
        assert signal.getsignal(signal.SIGINT) is handler  # the handler is back
    finally:
        signal.signal(signal.SIGINT, previous)
    monkeypatch.undo()
    assert model.n_iter_ == 2 and len(model.loss_curve_) == 2
    assert model.predict(X).shape == (len(X),)
    if handler is not signal.default_int_handler:
        assert handled == [signal.SIGINT]  # delivered to it, once
