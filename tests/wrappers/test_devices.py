"""The ``device`` parameter: selection, errors, GPU memory settings, data-parallel
training (two logical CPU devices in a subprocess), on the TensorFlow and JAX
backends."""

import os
import pickle
import sys
import warnings

import keras
import numpy as np
import pytest
from joblib import Parallel, delayed
from sklearn.base import clone

from skdeep._bridge import _devices
from skdeep._bridge._devices import (
    choose_devices,
    parse_device,
    resolve,
    visible_devices,
    worker_index,
)
from skdeep.neural_network import MLPRegressor
from skdeep.utils._testing import run_on_two_cpu_devices
from skdeep.wrappers import KerasClassifier, KerasRegressor

BACKEND = keras.backend.backend()
GPUS = visible_devices()["gpu"]
needs_gpu = pytest.mark.skipif(
    not GPUS, reason=f"needs a GPU: the {BACKEND} backend sees none"
)
FAKE = {"cpu": ["cpu:0"], "gpu": ["gpu:0", "gpu:1", "gpu:2"]}


def _build(meta):
    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(4, activation="relu"),
            keras.layers.Dense(1),
        ]
    )


def _data(n=40):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n, 3))
    return X, X @ np.array([1.0, -1.0, 0.5])


# ------------------------------------------------------------ the parameter


@pytest.mark.parametrize(
    "device, expected",
    [
        ("auto", (("auto", None),)),
        ("AUTO", (("auto", None),)),
        ("cpu", (("cpu", 0),)),
        ("cpu:1", (("cpu", 1),)),
        ("gpu", (("gpu", None),)),
        ("gpu:2", (("gpu", 2),)),
        (["gpu:0", "gpu:1"], (("gpu", 0), ("gpu", 1))),
        (("cpu:0", "cpu:1"), (("cpu", 0), ("cpu", 1))),
    ],
)
def test_parse_device(device, expected):
    assert parse_device(device) == expected


@pytest.mark.parametrize(
    "device, match",
    [
        ("tpu", "device must be 'auto', 'cpu', 'gpu', 'gpu:N'.*got 'tpu'"),
        ("gpu:x", "got 'gpu:x'"),
        ("auto:1", "got 'auto:1'"),
        ([], "got \\[\\]"),
        (["gpu"], "a list names each device with its index"),
        (["auto"], "a list names each device with its index"),
        (["gpu:0", 1], "with its index"),
        (["gpu:0", "cpu:0"], "all GPUs or all CPUs"),
        (["gpu:0", "gpu:0"], "listed twice"),
        (3, "got 3"),
    ],
)
def test_bad_device_values_are_refused(device, match):
    with pytest.raises(ValueError, match=match):
        parse_device(device)


@pytest.mark.parametrize(
    "device, devices, worker, expected",
    [
        ("auto", {"cpu": ["cpu:0"], "gpu": []}, 0, ("cpu:0",)),
        ("auto", {"cpu": ["cpu:0"], "gpu": []}, 5, ("cpu:0",)),
        ("auto", FAKE, 0, ("gpu:0",)),
        ("gpu", FAKE, 0, ("gpu:0",)),
        ("cpu", FAKE, 1, ("cpu:0",)),
        ("gpu:2", FAKE, 0, ("gpu:2",)),
        ("gpu:2", FAKE, 1, ("gpu:2",)),  # an explicit index is never moved
        (["gpu:1", "gpu:2"], FAKE, 3, ("gpu:1", "gpu:2")),
    ],
)
def test_choose_devices(device, devices, worker, expected):
    assert choose_devices(parse_device(device), devices, worker, "tf") == expected


def test_auto_spreads_workers_round_robin_over_the_gpus():
    chosen = [
        choose_devices(parse_device("auto"), FAKE, worker, "tf")[0]
        for worker in range(7)
    ]
    assert chosen == ["gpu:0", "gpu:1", "gpu:2", "gpu:0", "gpu:1", "gpu:2", "gpu:0"]


def test_each_joblib_worker_process_gets_its_own_gpu():
    # real loky worker processes; the selection they make from two fake GPUs
    def pid_and_index():  # pickled by value: the workers import no test module
        import os
        import time

        from skdeep._bridge._devices import worker_index

        time.sleep(0.5)  # long enough for both workers to take tasks
        return os.getpid(), worker_index()

    assert worker_index() == 0  # the main process
    two = {"cpu": ["cpu:0"], "gpu": ["gpu:0", "gpu:1"]}
    seen = dict(Parallel(n_jobs=2)(delayed(pid_and_index)() for _ in range(6)))
    assert len(seen) == 2
    chosen = {
        pid: choose_devices(parse_device("auto"), two, index, "tf")[0]
        for pid, index in seen.items()
    }
    assert sorted(chosen.values()) == ["gpu:0", "gpu:1"]


def test_missing_devices_give_an_error_listing_the_devices_there_are():
    with pytest.raises(ValueError, match="'gpu:3' does not exist.*sees cpu:0, gpu:0"):
        choose_devices(
            parse_device("gpu:3"), {"cpu": ["cpu:0"], "gpu": ["gpu:0"]}, 0, "tf"
        )
    with pytest.raises(ValueError, match="device='gpu' was requested.*no GPU"):
        choose_devices(parse_device("gpu"), {"cpu": ["cpu:0"], "gpu": []}, 0, "tf")


def test_resolve_uses_the_backends_devices(monkeypatch):
    monkeypatch.setattr(_devices, "visible_devices", lambda backend=None: FAKE)
    monkeypatch.setattr(_devices, "worker_index", lambda: 4)
    placement = resolve("auto")
    assert placement.name == "gpu:1" and placement.is_gpu and not placement.parallel
    placement = resolve(["gpu:0", "gpu:2"])
    assert placement.name == ["gpu:0", "gpu:2"] and placement.parallel
    assert not placement.only_device


def test_device_scope_is_skipped_only_where_there_is_no_other_device(monkeypatch):
    monkeypatch.setattr(
        _devices, "visible_devices", lambda backend=None: {"cpu": ["cpu:0"], "gpu": []}
    )
    assert resolve("auto", backend="tensorflow").only_device
    monkeypatch.setattr(
        _devices,
        "visible_devices",
        lambda backend=None: {"cpu": ["cpu:0", "cpu:1"], "gpu": []},
    )
    assert not resolve("cpu:0", backend="tensorflow").only_device


def test_other_backends_take_only_the_cpu():
    assert resolve("auto", backend="numpy").name == "cpu:0"
    with pytest.raises(ValueError, match="needs the TensorFlow, JAX or PyTorch"):
        resolve("gpu:0", backend="numpy")


def test_pytorch_devices():
    pytest.importorskip("torch", reason="PyTorch is installed for CI's PyTorch pass")
    import torch

    from skdeep._bridge._devices import Placement

    n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    expected = "gpu:0" if n_gpus else "cpu:0"
    assert resolve("auto", backend="torch").name == expected
    with pytest.raises(ValueError, match=f"gpu:{n_gpus}' does not exist: the PyTorch"):
        resolve(f"gpu:{n_gpus}", backend="torch")
    with pytest.raises(ValueError, match="PyTorch backend trains on one device"):
        Placement(("gpu:0", "gpu:1"), "torch").training()


# ------------------------------------------------------------ estimators


@pytest.mark.parametrize("make", [KerasRegressor, KerasClassifier])
def test_fitted_estimator_records_its_device(make):
    X, y = _data()
    if make is KerasClassifier:
        y = (y > 0).astype(int)
    est = make(_build, epochs=1, random_state=0).fit(X, y)
    assert est.device_ == (GPUS[0] if GPUS else "cpu:0")
    est = make(_build, epochs=1, random_state=0, device="cpu").fit(X, y)
    assert est.device_ == "cpu:0"
    assert est.predict(X).shape == (len(X),)
    assert keras.distribution.distribution() is None


def test_a_device_that_does_not_exist_is_a_clear_error():
    X, y = _data()
    missing = f"gpu:{len(GPUS) + 3}"
    with pytest.raises(ValueError, match=f"'{missing}' does not exist.*sees cpu:0"):
        KerasRegressor(_build, device=missing).fit(X, y)
    with pytest.raises(ValueError, match=f"'{missing}' does not exist"):
        MLPRegressor(hidden_layer_sizes=(3,), max_iter=1, device=missing).fit(X, y)
    with pytest.raises(ValueError, match="device must be"):
        KerasRegressor(_build, device="tpu:0").fit(X, y)


@pytest.mark.skipif(bool(GPUS), reason="a GPU is present (checks the no-GPU error)")
def test_gpu_without_a_gpu_is_a_clear_error():
    X, y = _data()
    with pytest.raises(ValueError, match="device='gpu' was requested.*sees no GPU"):
        KerasRegressor(_build, device="gpu").fit(X, y)


def test_builtin_networks_record_their_device():
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after one epoch
        est = MLPRegressor(hidden_layer_sizes=(3,), max_iter=1, device="cpu").fit(X, y)
    assert est.device_ == "cpu:0"


# Keras' optimizer.get_config reads a PyTorch tensor through np.array, which NumPy 2
# deprecates for torch's __array__ (Keras' and torch's matter, not skdeep's)
@pytest.mark.filterwarnings("ignore:__array__ implementation:DeprecationWarning")
def test_device_survives_pickling_and_a_missing_device_falls_back_with_a_warning():
    X, y = _data()
    est = KerasRegressor(_build, epochs=1, random_state=0, device="cpu").fit(X, y)
    expected = est.predict(X)
    copy = pickle.loads(pickle.dumps(est))
    assert copy.device_ == "cpu:0"
    np.testing.assert_allclose(copy.predict(X), expected, rtol=1e-6)
    # as if loaded on a machine without the GPU it was fitted on
    copy = pickle.loads(pickle.dumps(est))
    copy.device_ = "gpu:7"
    with pytest.warns(UserWarning, match="fitted on 'gpu:7'.*predicts on"):
        np.testing.assert_allclose(copy.predict(X), expected, rtol=1e-6)
    assert clone(est).get_params()["device"] == "cpu"


@needs_gpu
def test_gpu_training_places_the_weights_on_the_gpu():
    X, y = _data()
    est = KerasRegressor(_build, epochs=1, device="gpu", random_state=0).fit(X, y)
    assert est.device_ == "gpu:0"
    value = est.model_.weights[0].value
    if BACKEND == "jax":
        assert {d.platform for d in value.devices()} == {"gpu"}
    else:
        assert "GPU:0" in value.device
    assert est.predict(X).dtype == np.float32


# ------------------------------------------------------------ GPU memory


def test_memory_mode_reads_the_environment():
    assert _devices.memory_mode({}) == "grow"
    assert _devices.memory_mode({"SKDEEP_GPU_MEMORY": "Framework"}) == "framework"
    with pytest.raises(ValueError, match="SKDEEP_GPU_MEMORY='all' is not"):
        _devices.memory_mode({"SKDEEP_GPU_MEMORY": "all"})


def test_memory_setting_is_applied_once_per_backend_and_honours_the_opt_out(
    monkeypatch,
):
    calls = []

    class Backend:
        @staticmethod
        def share_gpu_memory():
            calls.append(1)

    monkeypatch.setattr(_devices, "_MEMORY_APPLIED", set())
    monkeypatch.setattr(_devices, "_backend_module", lambda backend: Backend)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)  # the backend's only
    monkeypatch.setenv("SKDEEP_GPU_MEMORY", "framework")
    _devices.share_gpu_memory("jax")
    assert calls == []
    monkeypatch.setattr(_devices, "_MEMORY_APPLIED", set())
    monkeypatch.delenv("SKDEEP_GPU_MEMORY")
    _devices.share_gpu_memory("jax")
    _devices.share_gpu_memory("jax")
    assert calls == [1]


def _record_memory_sharing(monkeypatch):
    """Fake framework modules that record which frameworks get the memory setting,
    with no framework applied yet in this process."""
    calls = []

    class Framework:
        def __init__(self, name):
            self.name = name

        def share_gpu_memory(self):
            calls.append(self.name)

    monkeypatch.setattr(_devices, "_MEMORY_APPLIED", set())
    monkeypatch.setattr(_devices, "_backend_module", Framework)
    monkeypatch.delenv("SKDEEP_GPU_MEMORY", raising=False)
    return calls


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_tensorflow_in_the_process_gets_memory_growth_whatever_the_backend(
    monkeypatch, backend
):
    calls = _record_memory_sharing(monkeypatch)
    monkeypatch.delitem(sys.modules, "tensorflow", raising=False)
    _devices.share_gpu_memory(backend)
    assert calls == [backend]  # TensorFlow is not imported for this
    assert "tensorflow" not in sys.modules
    # TensorFlow imported after the first fit (a tf.data pipeline): the next fit
    monkeypatch.setitem(sys.modules, "tensorflow", object())
    _devices.share_gpu_memory(backend)
    _devices.share_gpu_memory(backend)
    assert calls == [backend, "tensorflow"]
    _devices.share_gpu_memory("tensorflow")  # once per process, whoever asks
    assert calls == [backend, "tensorflow"]


def test_tensorflow_memory_growth_beside_another_backend_honours_the_opt_out(
    monkeypatch,
):
    calls = _record_memory_sharing(monkeypatch)
    monkeypatch.setitem(sys.modules, "tensorflow", object())
    monkeypatch.setenv("SKDEEP_GPU_MEMORY", "framework")
    _devices.share_gpu_memory("jax")
    assert calls == []
    monkeypatch.delenv("SKDEEP_GPU_MEMORY")
    _devices.share_gpu_memory("jax")  # the opt-out counted as the first fit's
    assert calls == []


class _FakeTensorFlowConfig:
    """What ``tf.config`` says about one GPU, and what skdeep asks of it."""

    def __init__(self, started=False, growth=False, logical=None):
        import tensorflow as tf

        self.gpu = tf.config.PhysicalDevice("/physical_device:GPU:0", "GPU")
        self.started, self.growth, self.logical = started, growth, logical
        self.set_growth = []

    def install(self, monkeypatch):
        import tensorflow as tf

        monkeypatch.setattr(
            tf.config, "list_physical_devices", lambda kind=None: [self.gpu]
        )
        monkeypatch.setattr(
            tf.config, "get_logical_device_configuration", lambda gpu: self.logical
        )
        monkeypatch.setattr(
            tf.config.experimental, "set_memory_growth", self._set_memory_growth
        )
        monkeypatch.setattr(
            tf.config.experimental, "get_memory_growth", lambda gpu: self.growth
        )

    def _set_memory_growth(self, gpu, enable):
        if self.started:
            raise RuntimeError("Physical devices cannot be modified after init")
        self.set_growth.append((gpu.name, enable))


def test_tensorflow_gets_memory_growth_on_each_gpu(monkeypatch):
    pytest.importorskip("tensorflow")
    from skdeep._bridge import _devices_tensorflow

    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    fake = _FakeTensorFlowConfig()
    fake.install(monkeypatch)
    _devices_tensorflow.share_gpu_memory()
    assert fake.set_growth == [("/physical_device:GPU:0", True)]


@pytest.mark.parametrize("case", ["env", "logical", "already_growing"])
def test_tensorflow_memory_settings_of_the_user_stand(monkeypatch, case):
    pytest.importorskip("tensorflow")
    from skdeep._bridge import _devices_tensorflow

    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    fake = _FakeTensorFlowConfig(
        started=case == "already_growing",
        growth=case == "already_growing",
        logical=["a memory limit"] if case == "logical" else None,
    )
    if case == "env":
        monkeypatch.setenv("TF_FORCE_GPU_ALLOW_GROWTH", "false")
    fake.install(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _devices_tensorflow.share_gpu_memory()
    assert fake.set_growth == []


def test_tensorflow_started_on_the_whole_gpu_warns(monkeypatch):
    pytest.importorskip("tensorflow")
    from skdeep._bridge import _devices_tensorflow

    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    _FakeTensorFlowConfig(started=True).install(monkeypatch)
    with pytest.warns(UserWarning, match="TF_FORCE_GPU_ALLOW_GROWTH=true"):
        _devices_tensorflow.share_gpu_memory()


def test_first_fit_on_another_backend_sets_tensorflow_memory_growth(monkeypatch):
    """The real TensorFlow setting, reached through a device resolution on a backend
    that is not TensorFlow (one with no devices of its own: only TensorFlow's)."""
    pytest.importorskip("tensorflow")
    monkeypatch.delenv("TF_FORCE_GPU_ALLOW_GROWTH", raising=False)
    monkeypatch.delenv("SKDEEP_GPU_MEMORY", raising=False)
    monkeypatch.setattr(_devices, "_MEMORY_APPLIED", set())
    fake = _FakeTensorFlowConfig()
    fake.install(monkeypatch)
    assert resolve("auto", backend="numpy").name == "cpu:0"
    assert fake.set_growth == [("/physical_device:GPU:0", True)]
    resolve("cpu", backend="numpy")
    assert len(fake.set_growth) == 1
    # and its warning when TensorFlow holds the GPU already
    monkeypatch.setattr(_devices, "_MEMORY_APPLIED", set())
    _FakeTensorFlowConfig(started=True).install(monkeypatch)
    with pytest.warns(UserWarning, match="before skdeep could set its memory"):
        resolve("auto", backend="numpy")


@pytest.mark.parametrize(
    "environ, started, has_gpu, expected",
    [
        ({}, False, True, "set"),
        ({}, True, True, "warn"),
        ({}, False, False, None),
        ({"XLA_PYTHON_CLIENT_PREALLOCATE": "true"}, False, True, None),
        ({"XLA_PYTHON_CLIENT_MEM_FRACTION": ".3"}, True, True, None),
        ({"XLA_PYTHON_CLIENT_ALLOCATOR": "platform"}, False, True, None),
    ],
)
def test_jax_allocation_plan(environ, started, has_gpu, expected):
    pytest.importorskip("jax", reason="JAX is installed for CI's JAX pass")
    from skdeep._bridge._devices_jax import allocation_plan

    assert allocation_plan(environ, started, has_gpu) == expected


def test_jax_preallocation_is_switched_off_before_jax_starts(monkeypatch):
    pytest.importorskip("jax", reason="JAX is installed for CI's JAX pass")
    from skdeep._bridge import _devices_jax

    for name in _devices_jax.ALLOCATION_ENVS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(_devices_jax, "_backends_started", lambda: False)
    monkeypatch.setattr(_devices_jax, "gpu_plugin_installed", lambda: True)
    _devices_jax.share_gpu_memory()
    assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "false"
    monkeypatch.setenv("XLA_PYTHON_CLIENT_PREALLOCATE", "true")  # the user's
    _devices_jax.share_gpu_memory()
    assert os.environ["XLA_PYTHON_CLIENT_PREALLOCATE"] == "true"


# ------------------------------------------------------------ several devices

_DATA_PARALLEL = """
import json
import os
import sys

backend = os.environ["KERAS_BACKEND"]
if backend == "tensorflow":
    import tensorflow as tf  # (split into two CPU devices by the test harness)
import keras
import numpy as np

from skdeep.wrappers import KerasClassifier


def build(meta):
    init = keras.initializers.GlorotUniform
    return keras.Sequential([
        keras.Input((5,)),
        keras.layers.Dense(8, activation="relu", kernel_initializer=init(1)),
        keras.layers.Dense(1, activation="sigmoid", kernel_initializer=init(2)),
    ])


def fit(X, y, device):
    return KerasClassifier(build, optimizer="adam", epochs=3, batch_size=16,
                           shuffle=False, validation_split=0.25, device=device,
                           random_state=0).fit(X, y)


results = {}
for n_samples in map(int, sys.argv[1:]):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    parallel = fit(X, y, ["cpu:0", "cpu:1"])
    single = fit(X, y, "cpu:0")
    if backend == "tensorflow":
        replicas = parallel.model_.distribute_strategy.num_replicas_in_sync
    else:
        replicas = len(parallel.model_.weights[0].value.sharding.device_set)
    proba = parallel.predict_proba(X)
    parallel.set_params(warm_start=True).fit(X, y, epochs=1)
    results[n_samples] = {
        "device_": parallel.device_,
        "single_device_": single.device_,
        "replicas": replicas,
        "history": parallel.history_,
        "single_history": single.history_,
        "proba": proba.tolist(),
        "single_proba": single.predict_proba(X).tolist(),
        "warm_proba_shape": parallel.predict_proba(X).shape,
        "current_epoch_": parallel.current_epoch_,
        "global_distribution": str(keras.distribution.distribution()),
        "strategy_left": backend == "tensorflow" and tf.distribute.has_strategy(),
    }
print(json.dumps(results))
"""


# JAX shards each batch evenly over the devices: 61 samples need a padding row
@pytest.mark.parametrize(
    "backend, sizes", [("tensorflow", [64]), ("jax", [64, 61])], ids=["tf", "jax"]
)
def test_data_parallel_training_on_two_logical_cpu_devices(backend, sizes):
    pytest.importorskip(backend)
    results = run_on_two_cpu_devices(_DATA_PARALLEL, backend, sizes)
    for n_samples in sizes:
        result = results[str(n_samples)]
        assert result["device_"] == ["cpu:0", "cpu:1"]
        assert result["single_device_"] == "cpu:0"
        assert result["replicas"] == 2
        assert result["global_distribution"] == "None"
        assert result["strategy_left"] is False
        # the same results API as on one device
        assert set(result["history"]) == {"loss", "val_loss"}
        assert len(result["history"]["loss"]) == 4
        assert result["current_epoch_"] == 4
        assert result["warm_proba_shape"] == [n_samples, 2]
        proba = np.array(result["proba"])
        assert proba.shape == (n_samples, 2)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
        # unshuffled, from the same initial weights: data parallelism splits each
        # batch over the devices, the updates stay those of one device
        loss, single = result["history"]["loss"][:3], result["single_history"]["loss"]
        if n_samples % 2 == 0:
            np.testing.assert_allclose(loss, single, rtol=1e-4)
            np.testing.assert_allclose(proba, result["single_proba"], atol=1e-4)
        else:  # one zero-weight row among the 46 training rows of the last batches
            np.testing.assert_allclose(loss, single, rtol=0.05)
