"""MLPClassifier / MLPRegressor: scikit-learn behaviour, Keras extras, bad input."""

import random
import warnings

import numpy as np
import pytest
from scipy import sparse
from scipy.stats import loguniform
from sklearn import neural_network as sk_nn
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.model_selection import (
    GridSearchCV,
    RandomizedSearchCV,
    StratifiedKFold,
    cross_val_score,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

SMALL = {"hidden_layer_sizes": (8,), "max_iter": 10, "random_state": 0}


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=120, n_features=5, noise=1.0, random_state=0)
    return X, y / y.std()


# --------------------------------------------------------------------- basics


def test_is_classifier_and_regressor():
    assert is_classifier(MLPClassifier())
    assert is_regressor(MLPRegressor())


def test_classifier_learns_iris(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=100, random_state=0
    ).fit(X, y)
    assert clf.score(X, y) > 0.9
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(clf.classes_[proba.argmax(1)], clf.predict(X))
    np.testing.assert_allclose(clf.predict_log_proba(X), np.log(proba))


def test_regressor_learns_and_returns_1d(regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=150, random_state=0
    ).fit(X, y)
    assert reg.predict(X).shape == (120,)
    assert reg.score(X, y) > 0.9


def test_multi_output_regression(regression):
    X, y = regression
    Y = np.column_stack([y, -y])
    reg = MLPRegressor(**SMALL).fit(X, Y)
    assert reg.predict(X).shape == (120, 2)
    assert reg.n_outputs_ == 2


def test_string_labels_and_binary(iris):
    X, y = iris
    labels = np.array(["setosa", "other"])[(y > 0).astype(int)]
    clf = MLPClassifier(**SMALL).fit(X, labels)
    assert list(clf.classes_) == ["other", "setosa"]
    assert set(clf.predict(X)) <= {"other", "setosa"}
    assert clf.predict_proba(X).shape == (150, 2)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"


def test_multilabel_indicator(iris):
    X, y = iris
    Y = np.column_stack([y == 0, y == 1, y > 0]).astype(int)
    clf = MLPClassifier(
        hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=60, random_state=0
    ).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    assert clf.predict(X).shape == (150, 3)
    assert clf.predict_proba(X).shape == (150, 3)
    assert clf.score(X, Y) > 0.7


def test_fitted_attributes_named_as_in_sklearn(iris):
    X, y = iris
    ours = MLPClassifier(hidden_layer_sizes=(5, 4), max_iter=3, random_state=0)
    ours.fit(X, y)
    theirs = sk_nn.MLPClassifier(
        hidden_layer_sizes=(5, 4), max_iter=3, random_state=0
    ).fit(X, y)
    for name in [
        "classes_",
        "n_features_in_",
        "loss_",
        "loss_curve_",
        "best_loss_",
        "validation_scores_",
        "best_validation_score_",
        "n_iter_",
        "t_",
        "n_layers_",
        "n_outputs_",
        "out_activation_",
        "coefs_",
        "intercepts_",
    ]:
        assert hasattr(ours, name), name
        assert hasattr(theirs, name), name
    assert ours.n_layers_ == theirs.n_layers_ == 4
    assert [c.shape for c in ours.coefs_] == [c.shape for c in theirs.coefs_]
    assert [b.shape for b in ours.intercepts_] == [b.shape for b in theirs.intercepts_]
    assert ours.n_iter_ == theirs.n_iter_ == 3
    assert ours.t_ == theirs.t_ == 3 * 150
    assert len(ours.loss_curve_) == 3
    assert ours.out_activation_ == theirs.out_activation_ == "softmax"
    # coefs_ are copies of the Keras weights
    np.testing.assert_array_equal(
        ours.coefs_[0], ours.model_.get_layer("hidden_1").kernel.numpy()
    )
    assert set(ours.history_) >= {"loss", "learning_rate"}


PARAM_SETS = [
    {},
    {"hidden_layer_sizes": (7, 3), "activation": "tanh", "alpha": 1e-3},
    {"solver": "sgd", "learning_rate": "invscaling", "momentum": 0.5},
    {"solver": "sgd", "learning_rate": "adaptive", "nesterovs_momentum": False},
    {"activation": "logistic", "batch_size": 16, "shuffle": False},
    {"early_stopping": True, "validation_fraction": 0.2, "n_iter_no_change": 2},
    {"activation": "identity", "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-7},
]


@pytest.mark.parametrize("params", PARAM_SETS)
@pytest.mark.parametrize("kind", ["classifier", "regressor"])
def test_same_constructor_call_as_sklearn(params, kind, iris):
    """Swapping the import is enough: every non-lbfgs parameter set works on both."""
    X, y = iris
    base = {"max_iter": 4, "random_state": 0, **params}
    if "hidden_layer_sizes" not in base:
        base["hidden_layer_sizes"] = (6,)
    ours_cls = MLPClassifier if kind == "classifier" else MLPRegressor
    sk_cls = sk_nn.MLPClassifier if kind == "classifier" else sk_nn.MLPRegressor
    target = y if kind == "classifier" else y.astype(float)
    sk_est = sk_cls(**base).fit(X, target)
    ours = ours_cls(**base).fit(X, target)
    assert ours.get_params()["max_iter"] == sk_est.get_params()["max_iter"]
    assert ours.predict(X).shape == sk_est.predict(X).shape
    assert ours.n_iter_ >= 1
    assert (ours.validation_scores_ is None) == (sk_est.validation_scores_ is None)


def test_defaults_match_sklearn():
    for ours, theirs in [
        (MLPClassifier(), sk_nn.MLPClassifier()),
        (MLPRegressor(), sk_nn.MLPRegressor()),
    ]:
        sk_params = theirs.get_params()
        our_params = ours.get_params()
        for name, value in sk_params.items():
            assert our_params[name] == value, name


# --------------------------------------------------------------------- Keras extras


@pytest.mark.parametrize("solver", ["nadam", "rmsprop", "adagrad", "adamax"])
def test_keras_solvers_train(solver, iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        solver=solver,
        learning_rate_init=0.01,
        max_iter=30,
        random_state=0,
    )
    clf.fit(X, y)
    assert clf.loss_curve_[-1] < clf.loss_curve_[0]


@pytest.mark.parametrize(
    "activation", ["elu", "selu", "leaky_relu", "gelu", "swish", "tanh", "logistic"]
)
def test_activations_numpy_inference_matches_keras(activation, iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(6,),
        activation=activation,
        max_iter=2,
        random_state=0,
        batch_normalization=True,
        dropout=0.2,
    )
    clf.fit(X, y)
    keras_out = clf.model_(X.astype(np.float32), training=False).numpy()
    np.testing.assert_allclose(clf.predict_proba(X), keras_out, atol=1e-5)


def test_kernel_initializer_auto():
    from skdeep.neural_network._architectures import default_initializer

    # measured: Glorot trains ReLU networks better (benchmarks/initializers.py)
    assert default_initializer("relu") == "glorot_uniform"
    assert default_initializer("prelu") == "glorot_uniform"
    assert default_initializer("selu") == "lecun_normal"
    assert default_initializer("tanh") == "glorot_uniform"
    X = np.random.RandomState(0).normal(size=(30, 3))
    y = np.arange(30) % 2
    clf = MLPClassifier(
        hidden_layer_sizes=(4,), activation="selu", max_iter=1, random_state=0
    ).fit(X, y)
    init = clf.model_.get_layer("hidden_1").kernel_initializer
    assert type(init).__name__ == "LecunNormal"


def test_batch_norm_and_dropout_layers(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(6, 5),
        batch_normalization=True,
        dropout=0.3,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    names = [layer.name for layer in clf.model_.layers]
    assert "hidden_1_bn" in names and "hidden_2_dropout" in names
    assert clf.model_.get_layer("hidden_1_dropout").rate == 0.3


@pytest.mark.parametrize("loss", ["absolute_error", "huber", "poisson"])
def test_regression_losses(loss, regression):
    X, y = regression
    if loss == "poisson":
        y = np.exp(y / 3)
    reg = MLPRegressor(
        loss=loss,
        hidden_layer_sizes=(8,),
        learning_rate_init=0.01,
        max_iter=30,
        random_state=0,
    ).fit(X, y)
    assert reg.loss_curve_[-1] < reg.loss_curve_[0]
    if loss == "poisson":
        assert reg.out_activation_ == "exponential"
        assert np.all(reg.predict(X) > 0)


@pytest.mark.parametrize("activation", ["relu", "softplus", "sigmoid", "tanh"])
def test_output_activation(activation, regression):
    X, y = regression
    reg = MLPRegressor(output_activation=activation, **SMALL).fit(X, y)
    pred = reg.predict(X)
    if activation in ("relu", "softplus", "sigmoid"):
        assert np.all(pred >= 0)
    if activation in ("sigmoid", "tanh"):
        assert np.all(np.abs(pred) <= 1)
    assert reg.out_activation_ == activation


def test_class_weight_shifts_predictions():
    X, y = make_classification(n_samples=200, weights=[0.8, 0.2], random_state=0)
    plain = MLPClassifier(**SMALL).fit(X, y)
    heavy = MLPClassifier(class_weight={0: 1.0, 1: 20.0}, **SMALL).fit(X, y)
    balanced = MLPClassifier(class_weight="balanced", **SMALL).fit(X, y)
    assert (heavy.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()
    assert (balanced.predict(X) == 1).sum() > (plain.predict(X) == 1).sum()


def test_sample_weight_zero_equals_dropping_rows(iris):
    X, y = iris
    w = np.ones(len(y))
    w[::3] = 0
    params = dict(
        hidden_layer_sizes=(6,),
        max_iter=5,
        random_state=0,
        batch_size=1000,
        shuffle=False,
        dtype="float64",
    )
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=w)
    dropped = MLPClassifier(**params).fit(X[w > 0], y[w > 0])
    np.testing.assert_allclose(
        weighted.predict_proba(X), dropped.predict_proba(X), rtol=1e-7
    )


def test_float32_sample_weight_equivalence_up_to_rounding(iris):
    X, y = iris
    sw = np.random.RandomState(0).randint(0, 3, size=len(y))
    params = dict(hidden_layer_sizes=(6,), max_iter=5, random_state=0, batch_size=1000)
    weighted = MLPClassifier(**params).fit(X, y, sample_weight=sw)
    repeated = MLPClassifier(**params).fit(np.repeat(X, sw, axis=0), np.repeat(y, sw))
    np.testing.assert_allclose(
        weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-4, atol=1e-6
    )


def test_device_parameter(iris):
    X, y = iris
    MLPClassifier(device="cpu", **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="device must be"):
        MLPClassifier(device="tpu", **SMALL).fit(X, y)
    import tensorflow as tf

    if not tf.config.list_physical_devices("GPU"):
        with pytest.raises(ValueError, match="'gpu:0' does not exist.*sees cpu:0"):
            MLPClassifier(device="gpu:0", **SMALL).fit(X, y)


def test_lbfgs_points_to_sklearn(iris):
    X, y = iris
    with pytest.raises(ValueError, match=r"sklearn\.neural_network\.MLPClassifier"):
        MLPClassifier(solver="lbfgs").fit(X, y)


def test_optimizers_match_keras_step_by_step():
    """The stateless update rules are Keras' optimizers, step for step."""
    import keras
    import tensorflow as tf

    from skdeep.neural_network._engine import solver_hyper
    from skdeep.neural_network._keras_engine import keras_optimizer
    from skdeep.neural_network._optimizers import make_optimizer

    rng = np.random.RandomState(0)
    params0 = [
        rng.normal(size=(3, 2)).astype("float32"),
        rng.normal(size=2).astype("float32"),
    ]
    grads_seq = [
        [rng.normal(size=p.shape).astype("float32") for p in params0] for _ in range(4)
    ]
    for solver in ["sgd", "adam", "nadam", "adamax", "rmsprop", "adagrad"]:
        hyper = dict(
            solver_hyper(
                solver,
                momentum=0.9,
                nesterovs_momentum=True,
                beta_1=0.9,
                beta_2=0.999,
                epsilon=1e-8,
            )
        )
        # the Keras engine's optimizer and the compiled loop's, from one TrainingSpec
        keras_opt = keras_optimizer(solver, hyper, 0.1)
        ours = make_optimizer(solver, hyper)
        variables = [keras.Variable(p) for p in params0]
        params = [tf.constant(p) for p in params0]
        slots = ours.init_slots(params)
        for step, grads in enumerate(grads_seq):
            keras_opt.apply([tf.constant(g) for g in grads], variables)
            params, slots = ours.apply(
                tf.constant(step), slots, [tf.constant(g) for g in grads], params, 0.1
            )
        for v, p in zip(variables, params):
            np.testing.assert_allclose(
                v.numpy(), p.numpy(), rtol=1e-5, atol=1e-6, err_msg=solver
            )


# --------------------------------------------------------------------- training loop


def test_early_stopping_restores_best(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(8,),
        early_stopping=True,
        n_iter_no_change=3,
        max_iter=200,
        learning_rate_init=0.05,
        random_state=0,
    ).fit(X, y)
    assert clf.n_iter_ < 200
    assert clf.best_loss_ is None
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    assert len(clf.validation_scores_) == clf.n_iter_


def test_stopping_on_training_loss_like_sklearn(iris):
    X, y = iris
    params = dict(
        hidden_layer_sizes=(8,),
        tol=10.0,
        n_iter_no_change=2,
        max_iter=50,
        random_state=0,
    )
    clf = MLPClassifier(**params).fit(X, y)
    theirs = sk_nn.MLPClassifier(**params).fit(X, y)
    # no epoch improves by tol=10: both stop after the same number of epochs
    assert clf.n_iter_ == theirs.n_iter_ == 4
    assert clf.best_loss_ == min(clf.loss_curve_)


def test_max_iter_warns_convergence(iris):
    X, y = iris
    with pytest.warns(ConvergenceWarning, match="Maximum iterations"):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)


def test_adaptive_learning_rate_divides_by_five(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="adaptive",
        tol=10.0,
        n_iter_no_change=1,
        max_iter=6,
        random_state=0,
    )
    clf.fit(X, y)
    sk_names = sk_nn.MLPClassifier().get_params()
    theirs = sk_nn.MLPClassifier(
        **{k: v for k, v in clf.get_params().items() if k in sk_names}
    )
    theirs.fit(X, y)
    lrs = clf.history_["learning_rate"]
    assert lrs[0] == pytest.approx(1e-3)
    # epochs 2 and 3 bring no improvement > n_iter_no_change=1: divide by 5
    assert lrs[:4] == pytest.approx([1e-3, 1e-3, 1e-3, 1e-3 / 5])
    assert clf._learning_rate_ == pytest.approx(theirs._optimizer.learning_rate)
    assert clf.n_iter_ == theirs.n_iter_


def test_invscaling_learning_rate(iris):
    X, y = iris
    clf = MLPClassifier(
        hidden_layer_sizes=(4,),
        solver="sgd",
        learning_rate="invscaling",
        power_t=0.5,
        max_iter=3,
        random_state=0,
    ).fit(X, y)
    lrs = clf.history_["learning_rate"]
    assert lrs[1] == pytest.approx(1e-3 / (150 + 1) ** 0.5)


def test_random_state_reproducible_and_different_seeds_differ(iris):
    X, y = iris
    a = MLPClassifier(**SMALL).fit(X, y).predict_proba(X)
    b = MLPClassifier(**SMALL).fit(X, y).predict_proba(X)
    c = MLPClassifier(**{**SMALL, "random_state": 1}).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_warm_start_continues(iris):
    X, y = iris
    clf = MLPClassifier(warm_start=True, **SMALL).fit(X, y)
    first = [w.copy() for w in clf.coefs_]
    clf.fit(X, y)
    assert clf.n_iter_ == 10 and len(clf.loss_curve_) == 20
    assert not np.allclose(first[0], clf.coefs_[0])
    cold = clone(clf).set_params(warm_start=False).fit(X, y)
    assert len(cold.loss_curve_) == 10


def test_warm_start_rejects_new_classes(iris):
    X, y = iris
    clf = MLPClassifier(warm_start=True, **SMALL).fit(X, y)
    with pytest.raises(ValueError, match="warm_start can only be used"):
        clf.fit(X[y < 2], y[y < 2])


def test_partial_fit(iris):
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(8,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, y)
    clf.partial_fit(X[:50], y[:50], classes=[0, 1, 2])
    for _ in range(5):
        clf.partial_fit(X, y)
    assert clf.t_ == 50 + 5 * 150
    assert clf.predict_proba(X).shape == (150, 3)
    with pytest.raises(ValueError, match="classes not in"):
        clf.partial_fit(X[:3], [0, 1, 7])
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    reg = MLPRegressor(hidden_layer_sizes=(4,), random_state=0)
    reg.partial_fit(X, y.astype(float))
    reg.partial_fit(X, y.astype(float))
    assert reg.t_ == 300


def test_traced_epoch_function_reused_across_fits(iris):
    from skdeep.neural_network import _training

    X, y = iris
    params = dict(
        hidden_layer_sizes=(9, 9), max_iter=2, random_state=0, engine="tensorflow"
    )
    MLPClassifier(**params).fit(X, y)
    size = len(_training._cache)
    fns = list(_training._cache.values())
    fn = fns[-1]
    traces_before = fn.experimental_get_tracing_count()
    rows = np.random.RandomState(0).permutation(len(y))
    for seed in range(3):
        subset = rows[: 100 + seed]
        MLPClassifier(**{**params, "random_state": seed}).fit(X[subset], y[subset])
    assert len(_training._cache) == size
    assert fn.experimental_get_tracing_count() == traces_before
    assert len(_training._cache) <= _training._CACHE_SIZE


# --------------------------------------------------------------------- sklearn tools


def test_pipeline_and_cross_val_score_stratified(iris):
    X, y = iris
    pipe = make_pipeline(StandardScaler(), MLPClassifier(**SMALL))
    scores = cross_val_score(pipe, X, y, cv=3)
    assert scores.shape == (3,)
    # is_classifier -> StratifiedKFold: every test fold holds all three classes
    from sklearn.model_selection import check_cv

    assert isinstance(check_cv(3, y, classifier=is_classifier(pipe)), StratifiedKFold)


def test_grid_search(iris):
    X, y = iris
    search = GridSearchCV(MLPClassifier(**SMALL), {"alpha": [1e-4, 1e-2]}, cv=2)
    search.fit(X, y)
    assert set(search.cv_results_["param_alpha"]) == {1e-4, 1e-2}


class _BookHiddenLayers:
    """The book's n_hidden in 0..3 and n_neurons in 1..99 as hidden_layer_sizes."""

    def rvs(self, random_state=None):
        rng = np.random.RandomState(random_state.randint(2**31))
        return (int(rng.randint(1, 100)),) * int(rng.randint(0, 4))


def test_randomized_search_books_space():
    X, y = make_regression(n_samples=90, n_features=4, random_state=0)
    y = y / y.std()
    search = RandomizedSearchCV(
        MLPRegressor(max_iter=5, random_state=0),
        {
            "hidden_layer_sizes": _BookHiddenLayers(),
            "learning_rate_init": loguniform(3e-4, 3e-2),
        },
        n_iter=3,
        cv=2,
        random_state=0,
    )
    search.fit(X, y)
    tried = search.cv_results_["param_hidden_layer_sizes"]
    assert len(tried) == 3
    assert all(len(set(t)) <= 1 for t in tried)
    assert np.isfinite(search.best_score_)


def test_no_hidden_layer_is_linear(regression):
    X, y = regression
    reg = MLPRegressor(
        hidden_layer_sizes=(), learning_rate_init=0.05, max_iter=50, random_state=0
    ).fit(X, y)
    assert reg.n_layers_ == 2 and len(reg.coefs_) == 1
    assert reg.score(X, y) > 0.9


def test_clone_unfitted_copy(iris):
    X, y = iris
    clf = MLPClassifier(**SMALL).fit(X, y)
    cloned = clone(clf)
    assert cloned.get_params() == clf.get_params()
    with pytest.raises(NotFittedError):
        cloned.predict(X)


def test_joblib_round_trip_in_fresh_process(tmp_path, iris):
    import subprocess
    import sys

    import joblib

    X, y = iris
    clf = MLPClassifier(batch_normalization=True, dropout=0.1, **SMALL).fit(X, y)
    path = tmp_path / "clf.joblib"
    joblib.dump(clf, path)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "expected.npy", clf.predict_proba(X))
    code = (
        "import joblib, numpy as np, sys; d = sys.argv[1];"
        "clf = joblib.load(d + '/clf.joblib');"
        "np.testing.assert_array_equal(clf.predict_proba(np.load(d + '/X.npy')),"
        " np.load(d + '/expected.npy'));"
        "X = np.load(d + '/X.npy'); clf.partial_fit(X[:10], clf.predict(X[:10]));"
        "print('ok')"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().endswith("ok")


def test_dataframe_keeps_feature_names(iris):
    import pandas as pd

    X, y = iris
    df = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    clf = MLPClassifier(**SMALL).fit(df, y)
    np.testing.assert_array_equal(clf.feature_names_in_, ["a", "b", "c", "d"])
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


# --------------------------------------------------------------------- global state


@pytest.mark.parametrize("engine", ["numpy", "tensorflow"])
def test_fit_leaves_global_state_alone(iris, engine):
    import keras
    from tensorflow.python.framework import config, random_seed

    X, y = iris
    X_before, y_before = X.copy(), y.copy()
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002 - the global state is the point
    for random_state in (None, 0):
        MLPClassifier(
            random_state=random_state,
            dropout=0.1,
            engine=engine,
            **{k: v for k, v in SMALL.items() if k != "random_state"},
        ).fit(X, y)
        MLPRegressor(
            random_state=random_state,
            hidden_layer_sizes=(4,),
            max_iter=2,
            engine=engine,
        ).fit(X, y.astype(float))
    assert random.getstate() == py_state
    after = np.random.get_state()  # noqa: NPY002
    assert after[0] == np_state[0] and np.array_equal(after[1], np_state[1])
    assert after[2:] == np_state[2:]
    assert random_seed.get_seed(None) == (None, None)
    assert not config.is_op_determinism_enabled()
    assert keras.config.dtype_policy().name == "float32"
    assert keras.config.floatx() == "float32"
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(y, y_before)


def test_import_skdeep_does_not_import_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, skdeep; from skdeep import DBSCANPredictor;"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules;"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


# --------------------------------------------------------------------- bad input


def _assert_untouched(clf, X, before):
    np.testing.assert_array_equal(clf.predict_proba(X), before)


@pytest.mark.parametrize(
    "make_bad, match",
    [
        (lambda X, y: (np.where(np.eye(*X.shape) > 0, np.nan, X), y), "NaN"),
        (lambda X, y: (np.where(np.eye(*X.shape) > 0, np.inf, X), y), "infinity"),
        (lambda X, y: (X[:0], y[:0]), "0 sample"),
        (lambda X, y: (X[:, 0], y), "Expected 2D array"),
        (lambda X, y: (X, y + 3), "warm_start can only be used"),
        (lambda X, y: (X, y.astype(float) + 0.5), "Unknown label type"),
    ],
)
def test_bad_fit_input_raises_and_touches_nothing(make_bad, match, iris):
    X, y = iris
    clf = MLPClassifier(warm_start=True, **SMALL).fit(X, y)
    before = clf.predict_proba(X)
    bad_X, bad_y = make_bad(X.copy(), y.copy())
    bad_copy = np.array(bad_X, copy=True)
    with pytest.raises(ValueError, match=match):
        clf.fit(bad_X, bad_y)
    np.testing.assert_array_equal(bad_X, bad_copy)
    _assert_untouched(clf, X, before)


def test_bad_predict_input(iris):
    X, y = iris
    clf = MLPClassifier(**SMALL).fit(X, y)
    with pytest.raises(ValueError, match="expecting 4 features"):
        clf.predict(X[:, :3])
    with pytest.raises(ValueError, match="NaN"):
        clf.predict(np.full((2, 4), np.nan))
    with pytest.raises(ValueError, match="Expected 2D array"):
        clf.predict(X[0])


def test_negative_sample_weight(iris):
    X, y = iris
    w = np.ones(len(y))
    w[0] = -1
    with pytest.raises(ValueError, match="Negative values in data passed to"):
        MLPClassifier(**SMALL).fit(X, y, sample_weight=w)


def test_one_class_with_positive_weight(iris):
    X, y = iris
    w = (y == 0).astype(float)
    with pytest.raises(ValueError, match="one class has a non-zero sample weight"):
        MLPClassifier(**SMALL).fit(X, y, sample_weight=w)


def test_sparse_input_is_a_clear_error(iris):
    X, y = iris
    with pytest.raises(TypeError, match="dense data is required"):
        MLPClassifier(**SMALL).fit(sparse.csr_matrix(X), y)


def test_invalid_parameters_are_reported(iris):
    X, y = iris
    with pytest.raises(ValueError, match="'activation' parameter"):
        MLPClassifier(activation="nope").fit(X, y)
    with pytest.raises(ValueError, match="hidden_layer_sizes"):
        MLPClassifier(hidden_layer_sizes=(3, 0)).fit(X, y)
    with pytest.raises(ValueError, match="poisson"):
        MLPRegressor(loss="poisson", output_activation="relu").fit(X, y)
    with pytest.raises(ValueError, match="negative"):
        MLPRegressor(loss="poisson").fit(X, y - 5.0)


@pytest.mark.parametrize("engine", ["numpy", "tensorflow"])
@pytest.mark.parametrize("dtype, scale", [("float32", 1e18), ("float64", 1e150)])
def test_divergence_is_scikit_learns_error(engine, dtype, scale):
    X = np.random.RandomState(0).normal(size=(40, 3)) * scale
    y = np.arange(40, dtype=float) * scale
    with warnings.catch_warnings():
        # the error, not NumPy's overflow warnings on the way, tells the user
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="Solver produced non-finite parameter"):
            MLPRegressor(
                hidden_layer_sizes=(4,),
                learning_rate_init=10.0,
                max_iter=20,
                random_state=0,
                engine=engine,
                dtype=dtype,
            ).fit(X, y)


@pytest.mark.parametrize("engine", ["numpy", "keras"])
def test_divergence_under_early_stopping_finishes_as_scikit_learn(engine):
    """scikit-learn's MLP records NaN validation scores for a diverged network and
    keeps the best weights; so does skdeep (instead of raising)."""
    X = np.random.RandomState(0).normal(size=(60, 3))
    y = X.sum(axis=1) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reg = MLPRegressor(
            solver="sgd",
            learning_rate_init=1e3,
            early_stopping=True,
            max_iter=30,
            random_state=0,
            engine=engine,
        ).fit(X, y)
    scores = np.asarray(reg.validation_scores_)
    assert np.isnan(scores).any()  # the divergence was recorded, not raised
    assert reg.best_validation_score_ == np.nanmax(scores)
    assert reg.n_iter_ < 30  # NaN never improves: stopped by n_iter_no_change
    assert np.all(np.isfinite(reg.predict(X)))  # the best (finite) weights


def test_early_stopping_with_a_one_member_class_raises_the_stratification_error():
    X = np.random.RandomState(0).normal(size=(40, 3))
    y = np.r_[np.zeros(20), np.ones(19), [2]]
    with pytest.raises(ValueError, match="least populated class.* only 1 member"):
        MLPClassifier(early_stopping=True, max_iter=3).fit(X, y)


def test_dataframe_fit_with_early_stopping_warns_nothing_about_feature_names():
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(40, 3)), columns=list("abc"))
    y = np.r_[np.zeros(20), np.ones(20)]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        clf = MLPClassifier(early_stopping=True, max_iter=3, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(X, y)
        clf.predict(X)
    assert list(clf.feature_names_in_) == ["a", "b", "c"]
