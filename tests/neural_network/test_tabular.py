"""The tabular recipe (issue 25): its preprocessing, layers, schedules and the two
estimators, each technique checked against its formula and switchable off."""

import pickle

import keras
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes

from skdeep.neural_network._architectures import build_tabular_mlp
from skdeep.neural_network._tabular import TabularMLPClassifier, TabularMLPRegressor
from skdeep.neural_network._tabular_layers import (
    CategoricalEmbedding,
    FeatureScale,
    MixedActivation,
    NTKDense,
    PeriodicEmbedding,
    ScheduledDropout,
    data_dependent_init,
)
from skdeep.neural_network._tabular_preprocessing import RobustSmoothScaler
from skdeep.neural_network._tabular_training import (
    ProgressSchedule,
    RegularizationSchedule,
    ScheduledAdamW,
    schedule_factor,
)

# small and fast: the recipe's structure, not its size
_FAST = dict(hidden_layer_sizes=(16, 16), max_iter=8, batch_size=64, random_state=0)


# -- preprocessing --------------------------------------------------------------


def test_robust_scaling_centres_on_the_median_and_divides_by_the_normal_iqr():
    X = np.array([[1.0, 5.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0], [5.0, 5.0]])
    scaler = RobustSmoothScaler(smooth_clip=False).fit(X)
    np.testing.assert_allclose(scaler.center_, [3.0, 5.0])
    # quartiles 2 and 4: an IQR of 2, divided by a standard normal's 1.349
    np.testing.assert_allclose(scaler.scale_[0], 2.0 / 1.3489795003921634)
    out = scaler.transform(X)
    np.testing.assert_allclose(out[:, 0], (X[:, 0] - 3.0) / scaler.scale_[0])
    np.testing.assert_array_equal(out[:, 1], 0.0)  # a constant column becomes 0


def test_smooth_clip_is_the_identity_near_zero_and_bounded_by_three():
    X = np.r_[np.linspace(-1, 1, 50), [1e6, -1e6]].reshape(-1, 1)
    raw = RobustSmoothScaler(smooth_clip=False).fit(X).transform(X).ravel()
    clipped = RobustSmoothScaler().fit(X).transform(X).ravel()
    np.testing.assert_allclose(clipped, raw / np.sqrt(1 + (raw / 3) ** 2))
    assert np.all(np.abs(clipped) < 3.0)
    assert abs(clipped[25] - raw[25]) < 1e-3 * abs(raw[25]) + 1e-12


def test_weighted_scaling_equals_repeating_rows():
    rng = np.random.RandomState(0)
    X, w = rng.normal(size=(15, 3)), rng.randint(0, 5, size=15)
    weighted = RobustSmoothScaler().fit(X, sample_weight=w)
    repeated = RobustSmoothScaler().fit(X.repeat(w, axis=0))
    np.testing.assert_allclose(weighted.center_, repeated.center_)
    np.testing.assert_allclose(weighted.scale_, repeated.scale_)


# -- layers ---------------------------------------------------------------------


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_periodic_embedding_keeps_the_feature_and_adds_its_periodic_map():
    layer = PeriodicEmbedding(n_frequencies=4, dim=2, bias_factor=0.1)
    x = np.random.RandomState(0).normal(size=(5, 3)).astype("float32")
    out = _np(layer(x))
    assert out.shape == (5, 3 * 3)
    w, b, A, c = (
        _np(v) for v in (layer.frequencies, layer.phases, layer.kernel, layer.bias)
    )
    cos = np.cos(2 * np.pi * (x[..., None] * w + b))
    mapped = np.einsum("bdk,dke->bde", cos, A) / 2.0 + 0.1 * c
    expected = np.concatenate([x[..., None], mapped], axis=-1).reshape(5, -1)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


def test_periodic_embedding_passes_the_columns_after_its_own():
    layer = PeriodicEmbedding(n_frequencies=4, dim=2, n_embedded=2)
    x = np.random.RandomState(0).normal(size=(5, 4)).astype("float32")
    out = _np(layer(x))
    assert out.shape == (5, 2 * 3 + 2)
    np.testing.assert_array_equal(out[:, 6:], x[:, 2:])
    np.testing.assert_array_equal(out[:, [0, 3]], x[:, :2])  # each raw feature kept


def test_categorical_embedding_looks_up_each_code_in_its_own_table():
    layer = CategoricalEmbedding([3, 2], dim=2)
    x = np.array([[7.0, 0.0, 1.0], [8.0, -1.0, 0.0]], "float32")  # rest | codes
    out = _np(layer(x))
    table = _np(layer.table)  # rows: unknown, 3 categories | unknown, 2 categories
    assert table.shape == (4 + 3, 2)
    np.testing.assert_array_equal(out[:, 0], [7.0, 8.0])
    np.testing.assert_allclose(out[0, 1:], np.r_[table[1], table[4 + 2]])
    np.testing.assert_allclose(out[1, 1:], np.r_[table[0], table[4 + 1]])


def test_ntk_dense_divides_by_the_root_of_its_fan_in():
    layer = NTKDense(4, bias_factor=0.1)
    x = np.random.RandomState(1).normal(size=(6, 9)).astype("float32")
    layer.build(x.shape)
    layer.bias.assign(np.arange(4.0))
    expected = x @ _np(layer.kernel) / 3.0 + 0.1 * np.arange(4.0)
    np.testing.assert_allclose(_np(layer(x)), expected, rtol=1e-5, atol=1e-6)


def test_mixed_activation_goes_from_mish_to_the_identity():
    x = np.linspace(-3, 3, 7).reshape(1, -1).astype("float32")
    layer = MixedActivation("mish")
    mish = x * np.tanh(np.log1p(np.exp(x)))
    np.testing.assert_allclose(_np(layer(x)), mish, rtol=1e-5, atol=1e-6)
    layer.mix.assign(np.zeros(7))
    np.testing.assert_allclose(_np(layer(x)), x)
    with pytest.raises(ValueError, match="activation='gelu' is not one of"):
        MixedActivation("gelu")


def test_feature_scale_starts_at_one_and_learns_at_its_factor():
    layer = FeatureScale(factor=6.0)
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(_np(layer(x)), x)
    np.testing.assert_allclose(_np(layer.scale), 1 / 6.0)  # p = 6 * v


def test_scheduled_dropout_drops_its_rate_times_the_factor_in_training_only():
    layer = ScheduledDropout(0.4, seed=0)
    x = np.ones((2000, 50), "float32")
    np.testing.assert_array_equal(_np(layer(x)), x)  # inference: nothing dropped
    dropped = np.mean(_np(layer(x, training=True)) == 0)
    assert abs(dropped - 0.4) < 0.01
    layer.factor.assign(0.5)
    dropped = np.mean(_np(layer(x, training=True)) == 0)
    assert abs(dropped - 0.2) < 0.01


def test_data_dependent_init_gives_unit_spread_and_kinks_inside_the_data():
    model = build_tabular_mlp(4, 1, hidden_layer_sizes=(32, 32), dropout=0.0)
    x = np.random.RandomState(0).lognormal(size=(400, 4)).astype("float32")
    data_dependent_init(model, x, random_state=0)
    h = x
    for layer in model.layers[1:]:
        if isinstance(layer, NTKDense) and layer.name != "output":
            z = _np(layer(h))
            np.testing.assert_allclose(_np(layer.linear(h)).std(axis=0), 1.0, rtol=1e-3)
            # every unit's pre-activation changes sign inside the data
            assert np.all(z.min(axis=0) <= 1e-5) and np.all(z.max(axis=0) >= -1e-5)
        h = layer(h)


def test_data_dependent_init_counts_a_weight_as_repeated_rows_in_any_order():
    x = np.random.RandomState(0).lognormal(size=(30, 4)).astype("float32")
    w = np.random.RandomState(1).randint(0, 4, size=30)
    order = np.random.RandomState(2).permutation(int(w.sum()))
    weighted = build_tabular_mlp(4, 1, hidden_layer_sizes=(8,), dropout=0.0)
    repeated = build_tabular_mlp(4, 1, hidden_layer_sizes=(8,), dropout=0.0)
    repeated.set_weights(weighted.get_weights())
    data_dependent_init(weighted, x, random_state=0, sample_weight=w)
    data_dependent_init(repeated, x.repeat(w, axis=0)[order], random_state=0)
    for a, b in zip(weighted.get_weights(), repeated.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# -- schedules ----------------------------------------------------------------------


def test_schedule_factors():
    f = lambda name, t: float(schedule_factor(name, t))  # noqa: E731
    # coslog4: four cycles on log2(1 + 15 t), 0 at both ends, peaks at 1
    assert f("coslog4", 0.0) == pytest.approx(0.0, abs=1e-6)
    assert f("coslog4", 1.0) == pytest.approx(0.0, abs=1e-6)
    assert f("coslog4", (2**0.5 - 1) / 15) == pytest.approx(1.0, abs=1e-5)
    assert f("cosine", 0.5) == pytest.approx(0.5)
    assert f("flat_cos", 0.3) == f("flat_cos", 0.5) == pytest.approx(1.0)
    assert f("flat_cos", 0.75) == pytest.approx(0.5)
    assert f("flat_cos", 1.0) == pytest.approx(0.0, abs=1e-6)


def test_scheduled_adamw_decays_by_its_schedule_and_saves_its_settings():
    optimizer = ScheduledAdamW(100, learning_rate=0.1, weight_decay=0.02)
    optimizer.iterations.assign(75)
    assert float(optimizer.weight_decay) == pytest.approx(0.01)
    config = optimizer.get_config()
    assert config["weight_decay"] == 0.02 and config["total_steps"] == 100
    again = ScheduledAdamW.from_config(config)
    assert again._base_weight_decay == 0.02
    schedule = ProgressSchedule(0.2, 100, "cosine")
    assert float(schedule(50)) == pytest.approx(0.1)


def test_regularization_schedule_sets_the_dropout_factor_each_epoch():
    model = build_tabular_mlp(3, 1, hidden_layer_sizes=(4,), dropout=0.2)
    callback = RegularizationSchedule(epochs=4)
    callback.set_model(model)
    dropout = model.get_layer("dropout_0")
    callback.on_epoch_begin(3)
    assert float(_np(dropout.factor)) == pytest.approx(0.5)
    callback.on_train_end()
    assert float(_np(dropout.factor)) == 1.0


def test_the_network_saves_and_loads_in_plain_keras(tmp_path):
    model = build_tabular_mlp(
        3, 2, hidden_layer_sizes=(8,), output_activation="softmax"
    )
    model.compile(ScheduledAdamW(10, learning_rate=ProgressSchedule(0.1, 10)), "mse")
    x = np.random.RandomState(0).normal(size=(20, 3)).astype("float32")
    model.fit(x, np.eye(2)[np.arange(20) % 2], epochs=1, verbose=0)
    model.save(tmp_path / "tabular.keras")
    loaded = keras.saving.load_model(tmp_path / "tabular.keras")
    np.testing.assert_allclose(_np(loaded(x)), _np(model(x)), rtol=1e-6)
    assert isinstance(loaded.optimizer, ScheduledAdamW)


# -- the estimators -------------------------------------------------------------


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:300], y[:300], X[300:], y[300:]


@pytest.fixture(scope="module")
def fitted_regressor(diabetes):
    X, y, _, _ = diabetes
    return TabularMLPRegressor(**_FAST).fit(X, y)


def test_regressor_learns_and_clips_to_the_training_range(diabetes, fitted_regressor):
    X, y, X_test, y_test = diabetes
    model = fitted_regressor
    assert model.score(X_test, y_test) > 0.3
    far = X_test * 50
    assert model.predict(far).min() >= y.min() and model.predict(far).max() <= y.max()
    assert model.n_iter_ == 8 and len(model.loss_curve_) == 8
    assert model.validation_loss_ is None  # 300 rows: keep_best="auto" is off


def test_regressor_trains_one_output_per_column_of_a_2d_y(diabetes):
    X, y, X_test, _ = diabetes
    Y = np.c_[y, -2 * y]
    model = TabularMLPRegressor(**_FAST).fit(X, Y)
    assert model.predict(X_test).shape == (len(X_test), 2)
    assert model.predict(X_test)[:, 1].max() <= 0  # clipped to each column's range


def test_weight_decay_applies_to_the_weight_matrices_only(fitted_regressor):
    model = fitted_regressor.model_
    decayed = {
        v.path for v in model.trainable_variables
        if model.optimizer._use_weight_decay(v)
    }  # fmt: skip
    assert decayed == {"embedding/kernel", "dense_0/kernel", "dense_1/kernel",
                       "output/kernel"}  # fmt: skip


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, epochs):
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def test_keep_best_picks_the_epoch_and_refit_trains_every_row_that_long(diabetes):
    X, y, X_test, _ = diabetes
    kept = TabularMLPRegressor(**_FAST, keep_best=True, refit=False).fit(X, y)
    best = int(np.argmin(kept.history_["val_loss"])) + 1
    assert kept.best_iteration_ == best
    assert kept.validation_loss_ == pytest.approx(min(kept.history_["val_loss"]))
    assert kept.n_iter_ == len(kept.loss_curve_) == _FAST["max_iter"]
    refit = TabularMLPRegressor(**_FAST, keep_best=True).fit(X, y)
    assert refit.history_ == kept.history_  # the same run picks the epoch
    assert refit.best_iteration_ == refit.n_iter_ == len(refit.loss_curve_) == best
    # the network kept is the one every row trains for `best` epochs of the
    # schedules of max_iter (held-out rows included)
    alone = TabularMLPRegressor(
        **_FAST, keep_best=False, callbacks=[_StopAfter(best)]
    ).fit(X, y)
    np.testing.assert_array_equal(refit.predict(X_test), alone.predict(X_test))
    assert not np.array_equal(refit.predict(X_test), kept.predict(X_test))


_SWITCHES = [
    "learnable_mix",
    "periodic_embedding",
    "feature_scale",
    "ntk",
    "data_init",
    "parameter_groups",
    "robust_scaling",
    "smooth_clip",
    "standardize_target",
    "clip_predictions",
]


@pytest.mark.parametrize("switch", _SWITCHES)
def test_each_technique_switches_off(diabetes, fitted_regressor, switch):
    X, y, X_test, _ = diabetes
    model = TabularMLPRegressor(**_FAST, **{switch: False}).fit(X, y)
    if switch == "clip_predictions":  # the same network: differs out of range only
        X_test = X_test * 50
    assert np.all(np.isfinite(model.predict(X_test)))
    assert not np.allclose(model.predict(X_test), fitted_regressor.predict(X_test))
    names = [type(layer).__name__ for layer in model.model_.layers]
    absent = {
        "learnable_mix": "MixedActivation",
        "periodic_embedding": "PeriodicEmbedding",
        "feature_scale": "FeatureScale",
        "ntk": "NTKDense",
    }.get(switch)
    if absent:
        assert absent not in names


def test_no_dropout_no_weight_decay_and_constant_schedules_train(diabetes):
    X, y, X_test, _ = diabetes
    model = TabularMLPRegressor(
        **_FAST,
        dropout=0.0,
        weight_decay=0.0,
        learning_rate="constant",
        regularization_schedule="constant",
    ).fit(X, y)
    assert np.all(np.isfinite(model.predict(X_test)))
    assert "ScheduledDropout" not in [type(x).__name__ for x in model.model_.layers]


def test_classifier_learns_with_label_smoothing():
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.where(y == 1, "benign", "malignant")
    model = TabularMLPClassifier(**_FAST).fit(X[:400], labels[:400])
    assert list(model.classes_) == ["benign", "malignant"]
    assert model.score(X[400:], labels[400:]) > 0.9
    proba = model.predict_proba(X[400:])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    # label smoothing 0.1 moves the loss's optimum from 1 to 0.95: the typical
    # confidence stays near it (without smoothing the median is above 0.99 here)
    assert np.median(proba.max(axis=1)) < 0.97
    with pytest.raises(ValueError, match="number of classes has to be greater"):
        TabularMLPClassifier(**_FAST).fit(X[:10], labels[:1].repeat(10))


def _table(n=400, seed=0):
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(seed)
    city = rng.choice([f"c{i}" for i in range(20)], n)
    colour = pd.Categorical(rng.choice(["red", "green", "blue"], n))
    x = rng.normal(size=n)
    y = (
        x
        + np.array([int(c[1:]) / 5 for c in city])
        + 2.0 * (colour == "red")
        + rng.normal(scale=0.1, size=n)
    )
    return pd.DataFrame({"x": x, "city": city, "colour": colour}), y


def test_categorical_columns_one_hot_when_small_and_embedded_when_large():
    X, y = _table()
    model = TabularMLPRegressor(
        hidden_layer_sizes=(32, 32), max_iter=30, random_state=0
    ).fit(X[:300], y[:300])
    columns = model.preprocessor_
    assert (columns.numeric, columns.one_hot, columns.coded) == (
        ["x"],
        ["colour"],
        ["city"],
    )
    assert (columns.n_one_hot, columns.cardinalities) == (3, (20,))
    assert "CategoricalEmbedding" in [type(x).__name__ for x in model.model_.layers]
    assert model.score(X[300:], y[300:]) > 0.9
    unseen = X[300:].copy()
    unseen.loc[unseen.index[0], ["city", "colour"]] = ["elsewhere", np.nan]
    assert np.all(np.isfinite(model.predict(unseen)))
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(loaded.predict(X[300:]), model.predict(X[300:]))
    with pytest.raises(ValueError, match="DataFrame with the same columns"):
        model.predict(X[300:].to_numpy())
    with pytest.raises(ValueError, match="feature names"):
        model.predict(X[300:].rename(columns={"city": "town"}))


def test_pickled_estimator_predicts_the_same(diabetes, fitted_regressor):
    _, _, X_test, _ = diabetes
    loaded = pickle.loads(pickle.dumps(fitted_regressor))
    np.testing.assert_allclose(loaded.predict(X_test), fitted_regressor.predict(X_test))


def test_same_random_state_same_model_and_weights_count_as_repeated_rows(diabetes):
    from skdeep.neural_network._architectures import _has_float64

    if not _has_float64():
        pytest.skip("JAX without jax_enable_x64 has no float64 networks")
    X, y, X_test, _ = diabetes
    X, y = X[:40], y[:40]
    # deterministic settings: no dropout, no data-drawn init, one full batch
    exact = dict(_FAST, dropout=0.0, data_init=False, batch_size=512, dtype="float64")
    a = TabularMLPRegressor(**exact).fit(X, y).predict(X_test)
    b = TabularMLPRegressor(**exact).fit(X, y).predict(X_test)
    np.testing.assert_array_equal(a, b)
    w = np.random.RandomState(0).randint(0, 4, size=len(y))
    weighted = TabularMLPRegressor(**exact).fit(X, y, sample_weight=w)
    repeated = TabularMLPRegressor(**exact).fit(X.repeat(w, 0), y.repeat(w))
    np.testing.assert_allclose(
        weighted.predict(X_test), repeated.predict(X_test), rtol=1e-6
    )


def test_fits_of_one_network_share_the_compiled_step_and_train_as_alone(
    diabetes, monkeypatch, recorded_shares
):
    engine, loops = recorded_shares
    X, y, X_test, _ = diabetes
    X, y = X[:120], y[:120]
    params = dict(_FAST, hidden_layer_sizes=(8,), max_iter=4, batch_size=32)
    first = TabularMLPRegressor(**params).fit(X, y)
    other_seed = TabularMLPRegressor(**{**params, "random_state": 1}).fit(X, y)
    again = TabularMLPRegressor(**params).fit(X, y)
    # fewer rows: fewer steps, which the schedules' progress counts (the optimizer
    # holds the number in a variable, so the step stays the same)
    fewer = TabularMLPRegressor(**params).fit(X[:90], y[:90])
    # one template for the four fits: traced (or compiled) once
    assert len(engine._SHARED) == 1 and len(loops) == 4
    if hasattr(loops[0], "_shared"):  # TensorFlow: the template's variables
        template = loops[0]._shared[0]
        assert all(loop._shared[0] is template for loop in loops)
        # one kind of epoch, one dtype and shape of the data: one trace
        assert len(template.functions) == 1
    else:  # JAX: the template's jitted step
        assert all(loop._train is loops[0]._train for loop in loops)
    # the shared step trains each fit as its own would: the state, not the
    # compiled program, holds the weights, dropout draws and schedules
    assert again.loss_curve_ == first.loss_curve_
    np.testing.assert_array_equal(again.predict(X_test), first.predict(X_test))
    assert other_seed.loss_curve_ != first.loss_curve_
    # another architecture is another template
    TabularMLPRegressor(**{**params, "hidden_layer_sizes": (4,)}).fit(X, y)
    assert len(engine._SHARED) == 2
    # and a fit that compiles its own step gives what the shared one gave
    monkeypatch.setattr(engine.EpochLoop, "share", lambda self, key, make: None)
    own = TabularMLPRegressor(**params).fit(X, y)
    assert own.loss_curve_ == first.loss_curve_
    np.testing.assert_array_equal(own.predict(X_test), first.predict(X_test))
    own_fewer = TabularMLPRegressor(**params).fit(X[:90], y[:90])
    assert own_fewer.loss_curve_ == fewer.loss_curve_
    np.testing.assert_array_equal(own_fewer.predict(X_test), fewer.predict(X_test))


def test_fits_in_threads_at_once_train_as_one_after_the_other(
    diabetes, fresh_shared_steps
):
    """Two threads fitting one network at once: the template's variables serve one
    epoch at a time (the other thread runs its own step meanwhile)."""
    from concurrent.futures import ThreadPoolExecutor

    if fresh_shared_steps is None:
        pytest.skip(
            "no shared step here: Keras' fit on PyTorch shuffles with torch's "
            "process-wide generator, which threads fitting at once interleave "
            "(_seeding.seeded says so)"
        )
    X, y, X_test, _ = diabetes
    params = dict(_FAST, hidden_layer_sizes=(8,), max_iter=6, batch_size=16)
    seeds = [0, 1, 0, 1]
    alone = [
        TabularMLPRegressor(**{**params, "random_state": s}).fit(X, y).predict(X_test)
        for s in seeds[:2]
    ]

    def fit(seed):
        return TabularMLPRegressor(**{**params, "random_state": seed}).fit(X, y)

    with ThreadPoolExecutor(4) as pool:
        fitted = list(pool.map(fit, seeds))
    for seed, model in zip(seeds, fitted):
        np.testing.assert_array_equal(model.predict(X_test), alone[seed])


def test_fitting_leaves_the_global_random_state_alone(diabetes):
    X, y, _, _ = diabetes
    state = np.random.get_state()[1].copy()  # noqa: NPY002 - the global one
    TabularMLPRegressor(**_FAST).fit(X[:50], y[:50])
    np.testing.assert_array_equal(np.random.get_state()[1], state)  # noqa: NPY002


def test_invalid_parameters_are_named():
    with pytest.raises(ValueError, match="'learning_rate' parameter"):
        TabularMLPRegressor(learning_rate="linear").fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(ValueError, match="hidden_layer_sizes must hold"):
        TabularMLPRegressor(hidden_layer_sizes=()).fit([[0.0], [1.0]], [0.0, 1.0])
    with pytest.raises(
        ValueError, match="sequence of positive integers, got \\(2.5,\\)"
    ):
        TabularMLPRegressor(hidden_layer_sizes=(2.5,)).fit([[0.0], [1.0]], [0.0, 1.0])


# -- devices, precision, streams -------------------------------------------------------


def test_device_is_resolved_recorded_and_checked(diabetes, fitted_regressor):
    assert fitted_regressor.device_ == "cpu:0"
    X, y, _, _ = diabetes
    with pytest.raises(ValueError, match="device 'gpu:7' does not exist"):
        TabularMLPRegressor(**_FAST, device="gpu:7").fit(X[:50], y[:50])


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_mixed_precision_trains_the_hidden_blocks_in_half_precision(
    diabetes, precision, recwarn
):
    X, y, X_test, y_test = diabetes
    reg = TabularMLPRegressor(**_FAST, precision=precision).fit(X, y)
    half = precision.split("_")[1]
    dtypes = {
        layer.name: layer.dtype_policy.compute_dtype for layer in reg.model_.layers
    }
    assert dtypes["dense_0"] == dtypes["activation_0"] == half
    assert dtypes["embedding"] == dtypes["output"] == "float32"
    assert reg.predict(X_test).dtype == np.float64
    assert reg.score(X_test, y_test) > 0.2
    loaded = pickle.loads(pickle.dumps(reg))  # the optimizer state loads quietly
    np.testing.assert_allclose(loaded.predict(X_test), reg.predict(X_test))
    assert not [w for w in recwarn if "Skipping variable" in str(w.message)]
    with pytest.raises(ValueError, match="cannot apply to a float64 network"):
        TabularMLPRegressor(precision=precision, dtype="float64").fit(X, y)


def _batches(X, y, size=50):
    return [(X[i : i + size], y[i : i + size]) for i in range(0, len(X), size)]


class _Batches(keras.utils.PyDataset):
    def __init__(self, batches):
        super().__init__()
        self.batches = batches

    def __len__(self):
        return len(self.batches)

    def __getitem__(self, index):
        return self.batches[index]


@pytest.mark.parametrize("kind", ["generator", "PyDataset", "tf.data"])
def test_regressor_trains_on_each_kind_of_stream(diabetes, kind):
    X, y, X_test, y_test = diabetes
    batches = _batches(X, y)
    if kind == "generator":
        data, options = (
            (b for _ in range(_FAST["max_iter"]) for b in batches),
            {"steps_per_epoch": len(batches)},
        )
    elif kind == "PyDataset":
        data, options = _Batches(batches), {}
    else:
        import tensorflow as tf

        data, options = tf.data.Dataset.from_tensor_slices((X, y)).batch(50), {}
    params = dict(_FAST, batch_size="auto")
    reg = TabularMLPRegressor(**params).fit(data, **options)
    assert reg.n_iter_ == _FAST["max_iter"] and reg.n_features_in_ == X.shape[1]
    # the preprocessing is fitted on the stream's first batches (all 300 rows here)
    arrays = TabularMLPRegressor(**params).fit(X, y)
    np.testing.assert_allclose(reg.preprocessor_.center_, arrays.preprocessor_.center_)
    np.testing.assert_allclose(reg.target_scale_, arrays.target_scale_)
    assert reg.score(X_test, y_test) > 0.2


def test_classifier_stream_takes_classes_and_checks_the_labels():
    X, y = load_breast_cancer(return_X_y=True)
    labels = np.array(["benign", "malignant"])[y]
    clf = TabularMLPClassifier(**dict(_FAST, batch_size="auto")).fit(
        iter(_batches(X, labels)), classes=["malignant", "benign"], steps_per_epoch=1
    )
    assert list(clf.classes_) == ["benign", "malignant"]
    with pytest.raises(ValueError, match="needs classes="):
        TabularMLPClassifier().fit(_Batches(_batches(X, labels)))
    with pytest.raises(ValueError, match=r"unknown categories \['malignant'\]"):
        TabularMLPClassifier(**dict(_FAST, batch_size="auto")).fit(
            _Batches(_batches(X, labels)), classes=["benign", "other"]
        )


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_what_a_stream_cannot_take_is_a_clear_error(diabetes):
    X, y, _, _ = diabetes
    stream = _Batches(_batches(X, y))
    with pytest.raises(ValueError, match="pass steps_per_epoch"):
        TabularMLPRegressor(**dict(_FAST, batch_size="auto")).fit(iter(_batches(X, y)))
    with pytest.raises(ValueError, match="keep_best=True holds out"):
        TabularMLPRegressor(keep_best=True).fit(stream)
    with pytest.raises(ValueError, match="y must be None"):
        TabularMLPRegressor().fit(stream, y)
    with pytest.raises(ValueError, match="applies to streamed X"):
        TabularMLPRegressor().fit(X, y, steps_per_epoch=3)
    with pytest.warns(UserWarning, match="batch_size=64 has no effect"):
        TabularMLPRegressor(**_FAST).fit(stream)
    with pytest.raises(TypeError, match="predicts arrays"):
        TabularMLPRegressor(**_FAST).fit(X, y).predict(stream)
