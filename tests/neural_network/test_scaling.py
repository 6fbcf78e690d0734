"""Issue 14 for the built-in networks: ``precision`` (mixed dtype policies, nothing
global changed, float32 predictions), a list of devices (data-parallel training on
two logical CPU devices in a subprocess, TensorFlow and JAX) and streamed training
data (``tf.data``, ``PyDataset``, generators)."""

import pickle
import warnings

import keras
import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import InvalidParameterError

from skdeep._bridge._devices import visible_devices
from skdeep.neural_network import MLPClassifier, MLPRegressor, WideDeepRegressor
from skdeep.utils._testing import run_on_two_cpu_devices

MIXED = ["mixed_float16", "mixed_bfloat16"]
BACKEND = keras.backend.backend()
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _data(n=96, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4))
    return X, X @ np.array([1.0, -1.0, 0.5, 0.0])


# ------------------------------------------------------------------ precision


@pytest.mark.parametrize("precision", MIXED)
@pytest.mark.parametrize("make", [MLPRegressor, WideDeepRegressor], ids=["mlp", "wd"])
def test_regressors_train_in_the_policy_and_predict_float32(
    make, precision, global_policy
):
    X, y = _data()
    reg = make(
        hidden_layer_sizes=(8,), max_iter=3, random_state=0, precision=precision
    ).fit(X, y)
    half = precision.split("_")[1]
    assert reg.engine_ == "keras"
    hidden = [
        layer for layer in reg.model_.layers if layer.name.startswith(("hid", "de"))
    ]
    assert hidden and {layer.compute_dtype for layer in hidden} == {half}
    assert {w.dtype for w in reg.model_.weights} == {"float32"}  # float32 weights
    assert reg.model_.get_layer("output").compute_dtype == "float32"
    assert reg.coefs_[0].dtype == np.float32
    pred = reg.predict(X)
    assert pred.dtype == np.float32 and pred.shape == (len(X),)
    assert np.isfinite(pred).all() and np.isfinite(reg.loss_curve_).all()
    # mixed_float16 scales the loss (Keras' LossScaleOptimizer); bfloat16 needs none
    scaled = type(reg.model_.optimizer).__name__ == "LossScaleOptimizer"
    assert scaled == (precision == "mixed_float16")
    copy = pickle.loads(pickle.dumps(reg))
    np.testing.assert_array_equal(copy.predict(X), pred)


@pytest.mark.parametrize("precision", MIXED)
def test_classifier_in_mixed_precision_learns_as_in_float32(precision, global_policy):
    X, y = _data(n=200)
    y = y > 0
    params = dict(hidden_layer_sizes=(16,), max_iter=30, random_state=0)
    mixed = MLPClassifier(precision=precision, **params).fit(X, y)
    full = MLPClassifier(dtype="float32", engine="keras", **params).fit(X, y)
    proba = mixed.predict_proba(X)
    assert proba.dtype == np.float32
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-3)
    # half-precision arithmetic, the same training otherwise
    assert abs(mixed.score(X, y) - full.score(X, y)) <= 0.05
    np.testing.assert_allclose(mixed.loss_curve_, full.loss_curve_, rtol=0.05)


def test_precision_leaves_a_users_global_policy_alone():
    X, y = _data()
    before = keras.config.dtype_policy().name
    keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        MLPRegressor(
            hidden_layer_sizes=(4,), max_iter=1, precision="mixed_float16"
        ).fit(X, y)
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
    finally:
        keras.config.set_dtype_policy(before)


def test_float32_and_none_change_nothing(global_policy):
    X, y = _data()
    params = dict(hidden_layer_sizes=(4,), max_iter=3, random_state=0)
    plain = MLPRegressor(dtype="float32", **params).fit(X, y)
    same = MLPRegressor(dtype="float32", precision="float32", **params).fit(X, y)
    assert same.engine_ == plain.engine_
    assert plain.engine_ == ("numpy" if BACKEND == "tensorflow" else "keras")
    np.testing.assert_array_equal(same.predict(X), plain.predict(X))


def test_precision_errors():
    X, y = _data()
    with pytest.raises(ValueError, match="cannot apply to a float64 network"):
        MLPRegressor(precision="mixed_float16", dtype="float64").fit(X, y)
    why = "precision" if BACKEND == "tensorflow" else "the Keras backend"
    with pytest.raises(ValueError, match=f"engine='numpy' cannot train.*{why}"):
        MLPRegressor(precision="mixed_bfloat16", engine="numpy").fit(X, y)
    with pytest.raises(InvalidParameterError, match="'precision' parameter"):
        MLPRegressor(precision="float16").fit(X, y)


# ------------------------------------------------------------ several devices

GPUS = visible_devices()["gpu"]
needs_gpu = pytest.mark.skipif(
    not GPUS, reason=f"needs a GPU: the {BACKEND} backend sees none"
)


@needs_gpu
@pytest.mark.parametrize("precision", [None, *MIXED])
def test_builtin_network_trains_on_the_gpu(precision):
    X, y = _data()
    reg = MLPRegressor(
        hidden_layer_sizes=(8,), max_iter=2, device="gpu", precision=precision
    ).fit(X, y)
    assert reg.device_ == "gpu:0"
    assert reg.engine_ == (
        "tensorflow" if BACKEND == "tensorflow" and not precision else "keras"
    )
    if reg.engine_ == "keras":  # (the compiled loop holds its own copies)
        value = reg.model_.weights[0].value
        if BACKEND == "jax":
            assert {d.platform for d in value.devices()} == {"gpu"}
        elif BACKEND == "tensorflow":
            assert "GPU:0" in value.device
    pred = reg.predict(X)
    assert np.isfinite(pred).all()
    if precision:
        assert pred.dtype == np.float32


def test_device_lists_are_checked_before_training():
    X, y = _data()
    with pytest.raises(ValueError, match="a list names each device with its index"):
        MLPRegressor(device=["auto"]).fit(X, y)
    with pytest.raises(ValueError, match="does not exist"):
        MLPRegressor(device=["cpu:0", "cpu:9"]).fit(X, y)
    with pytest.raises(ValueError, match="device must be"):
        MLPRegressor(device="tpu").fit(X, y)


_DATA_PARALLEL = """
import json
import os
import sys
import warnings

warnings.simplefilter("ignore")  # ConvergenceWarning after 3 epochs

backend = os.environ["KERAS_BACKEND"]
if backend == "tensorflow":
    import tensorflow as tf  # (split into two CPU devices by the test harness)
import keras
import numpy as np

from skdeep.neural_network import MLPClassifier


def fit(X, y, device, **params):
    return MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=3, batch_size=16, shuffle=False,
        early_stopping=True, n_iter_no_change=10, device=device, random_state=0,
        **params,
    ).fit(X, y)


results = {}
for n_samples in map(int, sys.argv[1:]):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    parallel = fit(X, y, ["cpu:0", "cpu:1"])
    single = fit(X, y, "cpu:0", engine="keras")
    if backend == "tensorflow":
        replicas = parallel.model_.distribute_strategy.num_replicas_in_sync
    else:
        replicas = len(parallel.model_.weights[0].value.sharding.device_set)
    proba = parallel.predict_proba(X)
    parallel.set_params(warm_start=True, max_iter=1).fit(X, y)
    try:
        fit(X, y, ["cpu:0", "cpu:1"], engine="numpy")
        refused = ""
    except ValueError as exc:
        refused = str(exc)
    results[n_samples] = {
        "device_": parallel.device_,
        "engine_": parallel.engine_,
        "replicas": replicas,
        "loss": parallel.loss_curve_,
        "single_loss": single.loss_curve_,
        "scores": parallel.validation_scores_,
        "single_scores": single.validation_scores_,
        "proba": proba.tolist(),
        "single_proba": single.predict_proba(X).tolist(),
        "n_iter_": parallel.n_iter_,
        "refused": refused,
        "global_distribution": str(keras.distribution.distribution()),
        "strategy_left": backend == "tensorflow" and tf.distribute.has_strategy(),
    }
print(json.dumps(results))
"""


# early stopping holds out 10 %: 61 samples leave 54 training rows, whose batches
# (16, 16, 16, 6) split evenly over two devices; 64 leave 57, whose last batch of 9
# does not: TensorFlow averages the loss of each device's rows (5 and 4) and JAX
# pads the set with one zero-weight row, which counts in its batch's mean
@pytest.mark.parametrize(
    "backend, sizes", [("tensorflow", [64, 61]), ("jax", [64, 61])], ids=["tf", "jax"]
)
def test_data_parallel_training_on_two_logical_cpu_devices(backend, sizes):
    pytest.importorskip(backend)
    results = run_on_two_cpu_devices(_DATA_PARALLEL, backend, sizes)
    for n_samples in sizes:
        result = results[str(n_samples)]
        assert result["device_"] == ["cpu:0", "cpu:1"]
        assert result["engine_"] == "keras"
        assert result["replicas"] == 2
        assert result["global_distribution"] == "None"
        assert result["strategy_left"] is False
        why = (
            "a list of devices trains data-parallel"
            if backend == "tensorflow"
            else "the Keras backend is 'jax'"
        )
        assert f"engine='numpy' cannot train this network ({why}" in result["refused"]
        # the same results API as on one device; warm start goes on (4th epoch)
        assert len(result["loss"]) == 4 and result["n_iter_"] == 1
        assert len(result["scores"]) == 4
        proba = np.array(result["proba"])
        assert proba.shape == (n_samples, 2)
        # unshuffled, from the same initial weights: data parallelism splits each
        # batch over the devices, the updates stay those of one device
        loss, single = result["loss"][:3], result["single_loss"]
        assert result["scores"][:3] == result["single_scores"]
        if n_samples == 61:
            np.testing.assert_allclose(loss, single, rtol=1e-6)
            np.testing.assert_allclose(proba, result["single_proba"], atol=1e-6)
        else:  # the last batch of each epoch weighs its rows a little differently
            np.testing.assert_allclose(loss, single, rtol=0.05)
            np.testing.assert_allclose(proba, result["single_proba"], atol=0.02)


def test_jax_batch_sizes_must_split_over_the_devices(monkeypatch):
    pytest.importorskip("jax", reason="JAX is installed for CI's JAX pass")
    from skdeep._bridge._devices import Placement
    from skdeep.neural_network._fitting import _even_batch_size

    two = Placement(("cpu:0", "cpu:1"), "jax")
    assert _even_batch_size(57, two, auto=True) == 56
    assert _even_batch_size(1, two, auto=True) == 2
    assert _even_batch_size(64, two, auto=False) == 64
    with pytest.raises(ValueError, match="batch_size=33 does not split evenly"):
        _even_batch_size(33, two, auto=False)
    # TensorFlow's MirroredStrategy splits any batch
    assert (
        _even_batch_size(33, Placement(("cpu:0", "cpu:1"), "tensorflow"), auto=False)
        == 33
    )


def test_warnings_module_is_left_alone():
    # (the fixtures above check the dtype policy; this checks the filters)
    before = list(warnings.filters)
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        MLPRegressor(
            hidden_layer_sizes=(4,), max_iter=1, precision="mixed_bfloat16"
        ).fit(X, y)
    assert warnings.filters == before


# ------------------------------------------------------------ streamed data


def _stream_data(n=240, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    return X, (X @ np.array([1.0, -1.0, 0.5, 0.0])).astype(np.float32)


class _Batches(keras.utils.PyDataset):
    """``(x, y)`` batches of 40 rows of arrays, as a PyDataset."""

    def __init__(self, X, y, w=None, size=40, **kwargs):
        super().__init__(**kwargs)
        self.X, self.y, self.w, self.size = X, y, w, size

    def __len__(self):
        return -(-len(self.X) // self.size)

    def __getitem__(self, i):
        part = slice(i * self.size, (i + 1) * self.size)
        if self.w is None:
            return self.X[part], self.y[part]
        return self.X[part], self.y[part], self.w[part]


def _generator(X, y, epochs=1, size=40):
    for _ in range(epochs):
        for start in range(0, len(X), size):
            yield X[start : start + size], y[start : start + size]


def _tf_dataset(X, y):
    tf = pytest.importorskip("tensorflow")
    return tf.data.Dataset.from_tensor_slices((X, y)).batch(40)


def _regressor(**params):
    params = {"hidden_layer_sizes": (8,), "max_iter": 3, "random_state": 0, **params}
    return MLPRegressor(**params)


@pytest.mark.parametrize("kind", ["generator", "PyDataset", "tf.data"])
def test_regressor_trains_on_each_kind_of_stream(kind):
    X, y = _stream_data()
    data = {
        "generator": lambda: _generator(X, y, epochs=3),
        "PyDataset": lambda: _Batches(X, y),
        "tf.data": lambda: _tf_dataset(X, y),
    }[kind]()
    steps = {"steps_per_epoch": 6} if kind == "generator" else {}
    reg = _regressor(shuffle=False).fit(data, **steps)
    assert reg.engine_ == "keras"
    assert reg.n_features_in_ == 4 and reg.n_outputs_ == 1
    assert reg.n_iter_ == 3 and len(reg.loss_curve_) == 3
    assert reg.t_ == 3 * len(X)  # the rows trained on
    # the same epochs as on the arrays, in the same order and batches
    arrays = _regressor(shuffle=False, batch_size=40, engine="keras").fit(X, y)
    np.testing.assert_allclose(reg.loss_curve_, arrays.loss_curve_, rtol=1e-5)
    np.testing.assert_allclose(reg.predict(X), arrays.predict(X), rtol=1e-4, atol=1e-5)


def test_pydataset_batches_are_shuffled_with_random_state():
    X, y = _stream_data()
    first = _regressor(random_state=3).fit(_Batches(X, y))
    again = _regressor(random_state=3).fit(_Batches(X, y))
    ordered = _regressor(random_state=3, shuffle=False).fit(_Batches(X, y))
    np.testing.assert_array_equal(first.loss_curve_, again.loss_curve_)
    assert first.loss_curve_ != ordered.loss_curve_
    # a PyDataset loaded by threads (its workers) trains the same on TensorFlow; on
    # JAX Keras' own fit reads such a PyDataset in another order (plain Keras too)
    threads = _regressor(random_state=3).fit(_Batches(X, y, workers=2))
    assert threads.n_iter_ == 3 and threads.t_ == 3 * len(X)
    if BACKEND == "tensorflow":
        np.testing.assert_allclose(threads.loss_curve_, first.loss_curve_, rtol=1e-6)


def test_classifier_stream_takes_classes_and_checks_the_labels():
    X, y = _stream_data()
    labels = np.where(y > 0, "up", "down")
    clf = MLPClassifier(
        hidden_layer_sizes=(8,), max_iter=20, learning_rate_init=0.01, random_state=0
    )
    clf.fit(_Batches(X, labels), classes=["down", "up", "flat"])
    assert list(clf.classes_) == ["down", "flat", "up"]
    assert clf.predict_proba(X).shape == (len(X), 3)
    assert clf.score(X, labels) > 0.8
    with pytest.raises(ValueError, match="classes"):
        MLPClassifier(max_iter=1).fit(_Batches(X, labels), classes=["down"])
    with pytest.raises(ValueError, match="not in"):
        MLPClassifier(max_iter=1).fit(_Batches(X, labels), classes=["down", "flat"])


def test_weights_in_the_batches_weigh_the_loss():
    X, y = _stream_data()
    plain = _regressor(alpha=0.0, shuffle=False).fit(_Batches(X, y))
    double = _regressor(alpha=0.0, shuffle=False).fit(
        _Batches(X, y, w=np.full(len(X), 2.0))
    )
    # Adam's steps do not depend on the loss's scale: the same path, twice the loss
    np.testing.assert_allclose(
        np.array(double.loss_curve_) / plain.loss_curve_, 2.0, rtol=1e-3
    )


# (pytest.warns re-emits the warnings it does not match from this file, Keras' JAX
# Variable.numpy() NumPy 2 deprecation among them: Keras' matter, not skdeep's)
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_a_finite_generator_trains_one_epoch_and_says_so():
    X, y = _stream_data()
    with pytest.warns(UserWarning, match="ran out of batches after 1 epochs"):
        reg = _regressor().fit(_generator(X, y, epochs=1))
    assert reg.n_iter_ == 1 and reg.t_ == len(X)
    # an endless generator with steps_per_epoch trains max_iter epochs
    endless = _generator(X, y, epochs=10**6)
    reg = _regressor().fit(endless, steps_per_epoch=3)
    assert reg.n_iter_ == 3 and reg.t_ == 3 * 3 * 40
    assert next(endless)[0].shape == (40, 4)  # the stream reads only what it needs


def test_warm_start_goes_on_training_on_a_stream():
    X, y = _stream_data()
    reg = _regressor(warm_start=True).fit(_Batches(X, y))
    weights = [w.copy() for w in reg.coefs_]
    reg.fit(_Batches(X, y))
    assert len(reg.loss_curve_) == 6
    assert not np.array_equal(weights[0], reg.coefs_[0])
    with pytest.raises(ValueError, match="X has 3 features"):
        reg.fit(_Batches(X[:, :3], y))


def test_wide_deep_splits_each_streamed_batch_into_its_inputs():
    X, y = _stream_data()
    params = dict(
        wide_features=[0, 1], deep_features=[2, 3], max_iter=2, random_state=0
    )
    streamed = WideDeepRegressor(shuffle=False, **params).fit(_Batches(X, y))
    arrays = WideDeepRegressor(
        shuffle=False, batch_size=40, engine="keras", **params
    ).fit(X, y)
    assert len(streamed.model_.inputs) == 2
    np.testing.assert_allclose(streamed.loss_curve_, arrays.loss_curve_, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_what_a_stream_cannot_take_is_a_clear_error():
    X, y = _stream_data()
    labels = y > 0
    cases = [
        (lambda: _regressor().fit(_Batches(X, y), y), "without y"),
        (
            lambda: _regressor().fit(_Batches(X, y), sample_weight=np.ones(len(X))),
            "yield",
        ),
        (
            lambda: _regressor(early_stopping=True).fit(_Batches(X, y)),
            "cannot be split",
        ),
        (
            lambda: MLPClassifier(class_weight="balanced").fit(
                _Batches(X, labels), classes=[False, True]
            ),
            "class_weight='balanced'",
        ),
        (lambda: _regressor().partial_fit(_Batches(X, y), None), "pass it to fit"),
        (lambda: _regressor().fit(X, y, steps_per_epoch=2), "applies to streamed X"),
        (
            lambda: MLPClassifier().fit(X, labels, classes=[False, True]),
            "applies to streamed X",
        ),
        (
            lambda: _regressor(learning_rate="1cycle").fit(_generator(X, y)),
            "needs the number of batches",
        ),
        (
            lambda: _regressor(engine="numpy").fit(_Batches(X, y)),
            "X is a PyDataset" if BACKEND == "tensorflow" else "the Keras backend",
        ),
        (
            lambda: _regressor().fit(_Batches(X, y, use_multiprocessing=True)),
            "use_multiprocessing",
        ),
        (lambda: _regressor().fit(_generator(X[:0], y[:0])), "empty generator"),
        (lambda: _regressor().fit(_Batches(X, y), steps_per_epoch=0), "positive"),
    ]
    for call, match in cases:
        with pytest.raises(ValueError, match=match):
            call()
    fitted = _regressor(max_iter=1).fit(X, y)
    for predict in (fitted.predict, fitted.score):
        with pytest.raises(TypeError, match="predicts arrays, not"):
            predict(_Batches(X, y), *([y] if predict == fitted.score else []))
    with pytest.warns(UserWarning, match="batch_size=32 has no effect"):
        _regressor(batch_size=32, max_iter=1).fit(_Batches(X, y))
    # a per-step schedule runs on a stream of known length
    reg = _regressor(learning_rate="1cycle").fit(_Batches(X, y))
    assert reg.history_["learning_rate"][0] != reg.history_["learning_rate"][1]


def test_keras_engine_reads_a_memmap_a_chunk_at_a_time(tmp_path, monkeypatch):
    from skdeep._bridge.engine import _loop

    if not hasattr(_loop.epoch_loop_class(), "load"):
        pytest.skip(f"the {BACKEND} backend has no fast loop: Keras' fit batches X")
    X, y = _stream_data(n=250)
    path = tmp_path / "X.npy"
    np.save(path, X)
    X_file = np.load(path, mmap_mode="r")
    monkeypatch.setattr(_loop, "_CHUNK_BYTES", 3 * 40 * 4 * 4)  # 3 batches of 40 rows
    loaded = []
    loop_class = _loop.epoch_loop_class()
    original = loop_class.load

    def spy(self, x, y, sample_weight):
        loaded.append(len(x))
        return original(self, x, y, sample_weight)

    monkeypatch.setattr(loop_class, "load", spy)
    params = dict(engine="keras", batch_size=40, max_iter=3, shuffle=True)
    mapped = _regressor(**params).fit(X_file, y)
    assert max(loaded) == 120 and sum(loaded) == 120 + 3 * 250  # never all 250 rows
    monkeypatch.setattr(loop_class, "load", original)
    in_memory = _regressor(**params).fit(X, y)
    np.testing.assert_allclose(mapped.loss_curve_, in_memory.loss_curve_, rtol=1e-6)
    for a, b in zip(mapped.coefs_, in_memory.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
