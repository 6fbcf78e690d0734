"""Persistence: skdeep.save / skdeep.load (skops), pickle and joblib, tampered files."""

import contextlib
import io
import json
import os
import pickle
import subprocess
import sys
import textwrap
import warnings
import zipfile

import joblib
import numpy as np
import pytest
import skops.io as skops_io
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils import get_tags

import skdeep
from skdeep import _persistence
from skdeep.utils._testing import estimator_instances

METHODS = ("predict", "predict_proba", "decision_function", "score_samples")


def _data_for(estimator):
    X, y = make_blobs(n_samples=40, centers=3, random_state=0)
    params = estimator.get_params()
    if "unlabelled_label" in params:
        y = y.copy()
        y[6:] = params["unlabelled_label"]
        return X, y
    estimator_type = get_tags(estimator).estimator_type
    if estimator_type == "classifier":
        return X, y
    if estimator_type == "regressor":
        return X, y.astype(float)
    return X, None


def _id(estimator):
    engine = estimator.get_params().get("engine", "")
    return type(estimator).__name__ + (f"-{engine}" if engine else "")


def _outputs(estimator, X):
    out = {}
    for method in METHODS:
        if hasattr(estimator, method):
            out[method] = np.asarray(getattr(estimator, method)(X))
    assert "predict" in out
    return out


def _assert_same_outputs(a, b):
    assert a.keys() == b.keys()
    for method in a:
        np.testing.assert_array_equal(a[method], b[method], err_msg=method)


INSTANCES = list(estimator_instances(every_engine=True))


@pytest.fixture(scope="module")
def fitted():
    """Each test instance fitted once: ``[(estimator, X), ...]``."""
    pairs = []
    for estimator in INSTANCES:
        estimator = clone(estimator).set_params(**_quick(estimator))
        X, y = _data_for(estimator)
        with _no_warning_check():
            estimator.fit(X, y)
        pairs.append((estimator, X))
    return pairs


@contextlib.contextmanager
def _no_warning_check():
    """Convergence chatter of deliberately short fits is not under test here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _quick(estimator):
    return {"max_iter": 5} if "max_iter" in estimator.get_params() else {}


def _public_name(estimator):
    return f"{type(estimator).__module__}.{type(estimator).__name__}"


def _functions(estimator):
    """The functions among the parameters (a wrapper's build function): code,
    which the caller names as trusted to save and to load."""
    return [
        f"{value.__module__}.{value.__name__}"
        for value in estimator.get_params(deep=False).values()
        if callable(value) and not isinstance(value, type)
    ]


# ---------------------------------------------------------------- skdeep.save/load


@pytest.mark.parametrize(
    "index", range(len(INSTANCES)), ids=[_id(e) for e in INSTANCES]
)
def test_save_load_round_trip_fitted(fitted, index, tmp_path):
    estimator, X = fitted[index]
    path = tmp_path / "model.skops"
    skdeep.save(estimator, path, trusted=_functions(estimator))
    loaded = skdeep.load(path, trusted=_functions(estimator))
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    _assert_same_outputs(_outputs(loaded, X), _outputs(estimator, X))
    # the only type a user trusts is the public estimator class itself, beside
    # scikit-learn's own classes (a calibrated SVC inside) and skdeep's building
    # blocks (the tabular networks' layers), which skdeep.load trusts
    untrusted = [
        name
        for name in skops_io.get_untrusted_types(file=path)
        if not name.startswith("sklearn.")
        and (
            name == _public_name(estimator)
            or not _persistence._is_skdeep_building_block(name)
        )
    ]
    assert untrusted == sorted([_public_name(estimator), *_functions(estimator)])


def test_skdeep_trusts_its_own_building_blocks_and_no_other_skdeep_name():
    import skdeep.neural_network._tabular  # noqa: F401 - defines and registers them

    for name in (
        "skdeep.neural_network._tabular_layers.NTKDense",
        "skdeep.neural_network._tabular_training.ScheduledAdamW",
        "skdeep.neural_network._tabular_preprocessing.RobustSmoothScaler",
    ):
        assert _persistence._is_skdeep_building_block(name), name
    for name in (
        "skdeep.utils._testing.build_test_model",  # a function
        "skdeep._bridge._devices.Placement",  # neither an estimator nor registered
        "skdeep.neural_network._tabular_layers.keras",  # a module
        "sklearn.preprocessing.StandardScaler",  # not skdeep's
        "skdeep.neural_network._tabular_layers.NoSuchLayer",
    ):
        assert not _persistence._is_skdeep_building_block(name), name


@pytest.mark.parametrize("estimator", INSTANCES, ids=_id)
def test_save_load_round_trip_unfitted(estimator, tmp_path):
    path = tmp_path / "model.skops"
    skdeep.save(estimator, path, trusted=_functions(estimator))
    loaded = skdeep.load(path, trusted=_functions(estimator))
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    untrusted = skops_io.get_untrusted_types(file=path)
    assert untrusted == sorted([_public_name(estimator), *_functions(estimator)])


def test_save_load_pipeline_and_search(tmp_path):
    X, y = make_blobs(n_samples=40, centers=3, random_state=0)
    mlp = skdeep.MLPClassifier((4,), max_iter=5, random_state=0)
    with _no_warning_check():
        pipe = make_pipeline(StandardScaler(), mlp).fit(X, y)
        search = GridSearchCV(
            mlp, {"alpha": [1e-4, 1e-2]}, cv=2, scoring="f1_macro"
        ).fit(X, y)
    for model in (pipe, search):
        skdeep.save(model, tmp_path / "m.skops")
        loaded = skdeep.load(tmp_path / "m.skops")
        np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.best_params_ == search.best_params_
    assert loaded.score(X, y) == search.score(X, y)


def _double(X):
    return 2 * X


def test_save_refuses_what_load_would_refuse(tmp_path):
    # a function passed as a parameter cannot be loaded without trusting it
    from sklearn.preprocessing import FunctionTransformer

    model = make_pipeline(FunctionTransformer(_double), skdeep.DBSCANPredictor())
    with pytest.raises(TypeError, match=rf"holds:\n  {__name__}._double"):
        skdeep.save(model, tmp_path / "m.skops")
    assert not os.listdir(tmp_path)
    # named by the caller, the function is stored and must be named again on load
    skdeep.save(model, tmp_path / "m.skops", trusted=[f"{__name__}._double"])
    with pytest.raises(TypeError, match=rf"does not trust.*\n  {__name__}._double"):
        skdeep.load(tmp_path / "m.skops")
    loaded = skdeep.load(tmp_path / "m.skops", trusted=[f"{__name__}._double"])
    assert loaded[0].func is _double


def test_save_needs_a_path(tmp_path):
    with pytest.raises(TypeError, match="path must be a file name"):
        skdeep.save(skdeep.DBSCANPredictor(), io.BytesIO())


# ---------------------------------------------------------------- atomic writes


def test_failed_write_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "model.skops"
    first = skdeep.DBSCANPredictor(eps=0.25)
    skdeep.save(first, path)
    before = path.read_bytes()

    def crash(fd):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(_persistence.os, "fsync", crash)
    with pytest.raises(OSError, match="simulated"):
        skdeep.save(skdeep.DBSCANPredictor(eps=0.75), path)
    assert path.read_bytes() == before  # untouched, not half-written
    assert os.listdir(tmp_path) == ["model.skops"]  # no temporary file left
    assert skdeep.load(path).eps == 0.25


def test_interrupted_write_leaves_no_file(tmp_path, monkeypatch):
    def interrupt(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(_persistence.os, "replace", interrupt)
    with pytest.raises(KeyboardInterrupt):
        skdeep.save(skdeep.DBSCANPredictor(), tmp_path / "model.skops")
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------- tampered files

TRIPPED = []


class Tripwire:
    """Records any attempt to build or unpickle it."""

    def __setstate__(self, state):
        TRIPPED.append("setstate")

    def __reduce__(self):
        return (TRIPPED.append, ("reduce",))


def _rewrite(path, edit_schema=None, edit_metadata=None, replace=None):
    """Rewrite the archive at ``path`` with its schema/metadata/members edited."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    if edit_schema is not None:
        schema = json.loads(members["schema.json"])
        edit_schema(schema)
        members["schema.json"] = json.dumps(schema).encode()
    if edit_metadata is not None:
        meta = json.loads(members["skdeep.json"])
        edit_metadata(meta)
        members["skdeep.json"] = json.dumps(meta).encode()
    members.update(replace or {})
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


@pytest.fixture
def saved(tmp_path):
    X = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]])
    path = tmp_path / "model.skops"
    skdeep.save(skdeep.DBSCANPredictor(eps=0.5, min_samples=2).fit(X), path)
    TRIPPED.clear()
    return path


def test_tampered_unknown_type_is_refused_before_building(saved):
    def swap_class(schema):
        schema["__class__"] = "Tripwire"
        schema["__module__"] = __name__

    _rewrite(saved, edit_schema=swap_class)
    with pytest.raises(TypeError, match=rf"does not trust.*\n.*{__name__}.Tripwire"):
        skdeep.load(saved)
    assert TRIPPED == []


def test_tampered_callable_is_refused(saved):
    def inject_function(schema):
        schema["content"]["content"]["metric"] = {
            "__class__": "system",
            "__module__": "os",
            "__loader__": "FunctionNode",
        }

    _rewrite(saved, edit_schema=inject_function)
    with pytest.raises(TypeError, match="os.system"):
        skdeep.load(saved)


def test_tampered_pickled_array_is_refused(saved):
    # an object array (which numpy stores as a pickle) in place of a fitted array
    with zipfile.ZipFile(saved) as archive:
        target = next(n for n in archive.namelist() if n.endswith(".npy"))
    buffer = io.BytesIO()
    np.save(buffer, np.array([Tripwire()], dtype=object), allow_pickle=True)
    _rewrite(saved, replace={target: buffer.getvalue()})
    with pytest.raises(ValueError, match="allow_pickle"):
        skdeep.load(saved)
    assert TRIPPED == []


def test_pickle_file_is_not_loaded(tmp_path):
    path = tmp_path / "model.skops"
    path.write_bytes(pickle.dumps(Tripwire()))
    TRIPPED.clear()
    with pytest.raises(ValueError, match="not a file written by skdeep.save"):
        skdeep.load(path)
    assert TRIPPED == []


def test_plain_skops_file_is_not_a_skdeep_file(tmp_path):
    path = tmp_path / "model.skops"
    skops_io.dump(skdeep.DBSCANPredictor(), path)
    with pytest.raises(ValueError, match="skops.io.load"):
        skdeep.load(path)


def test_file_from_a_newer_skdeep_says_so(saved):
    def newer(meta):
        meta["format"] = _persistence.FORMAT + 1
        meta["skdeep_version"] = "99.0.0"

    _rewrite(saved, edit_metadata=newer)
    with pytest.raises(ValueError, match=r"newer skdeep \(99.0.0"):
        skdeep.load(saved)


def test_other_skdeep_version_warns(saved):
    _rewrite(saved, edit_metadata=lambda meta: meta.update(skdeep_version="0.0.1"))
    with pytest.warns(UserWarning, match="written by skdeep 0.0.1"):
        skdeep.load(saved)


def test_incompatible_keras_says_so(tmp_path):

    X, y = make_blobs(n_samples=20, centers=2, random_state=0)
    path = tmp_path / "model.skops"
    with _no_warning_check():
        model = skdeep.MLPClassifier((2,), max_iter=2, random_state=0).fit(X, y)
    skdeep.save(model, path)
    _rewrite(path, edit_metadata=lambda meta: meta.update(keras_version="99.0.0"))
    with pytest.raises(ValueError, match="Keras 99.0.0.*incompatible major"):
        skdeep.load(path)


def test_keras_version_recorded_only_with_a_network(tmp_path):

    X, y = make_blobs(n_samples=20, centers=2, random_state=0)
    with _no_warning_check():
        mlp = skdeep.MLPClassifier((2,), max_iter=2, random_state=0).fit(X, y)
    for model, recorded in (
        (skdeep.DBSCANPredictor(eps=2.0, min_samples=3).fit(X), False),
        (make_pipeline(StandardScaler(), mlp), True),
    ):
        skdeep.save(model, tmp_path / "m.skops")
        with zipfile.ZipFile(tmp_path / "m.skops") as archive:
            meta = json.loads(archive.read("skdeep.json"))
        assert ("keras_version" in meta) is recorded


def test_keras_version_is_read_without_importing_keras(monkeypatch):
    """A file is checked, and a loaded network re-saved, in a process that has not
    imported Keras (a network loaded for NumPy prediction): the installed version
    comes from the package's metadata."""
    import keras

    monkeypatch.delitem(sys.modules, "keras")
    assert _persistence._keras_version() == keras.__version__
    assert "keras" not in sys.modules


def _rename_architecture(spec):
    spec[0]["content"] = json.dumps("os.system")


def _widen_layer(spec):
    # an architecture the stored weights do not fit (a new __id__: skops builds
    # each id once, and 2 is also n_features)
    sizes = spec[1]["content"]["hidden_layer_sizes"]["content"]
    sizes[0] = dict(sizes[0], content="3", __id__=1)


@pytest.mark.parametrize(
    "tamper, match",
    [(_rename_architecture, "unknown architecture"), (_widen_layer, "shape")],
)
def test_tampered_architecture_is_a_clear_error(tmp_path, tamper, match):

    X, y = make_blobs(n_samples=20, centers=2, random_state=0)
    with _no_warning_check():
        model = skdeep.MLPRegressor(hidden_layer_sizes=(2,), max_iter=2).fit(X, y)
    path = tmp_path / "m.skops"
    skdeep.save(model, path)
    _rewrite(
        path,
        edit_schema=lambda schema: tamper(
            schema["content"]["content"]["_model_spec_"]["content"]
        ),
    )
    with pytest.raises(ValueError, match=f"(?s)Could not rebuild.*{match}"):
        skdeep.load(path)


def test_trusted_extra_types_are_explicit(saved):
    def inject_function(schema):
        schema["content"]["content"]["metric_params"] = {
            "__class__": "sqrt",
            "__module__": "math",
            "__loader__": "FunctionNode",
        }

    _rewrite(saved, edit_schema=inject_function)
    with pytest.raises(TypeError, match="math.sqrt"):
        skdeep.load(saved)
    with pytest.raises(TypeError, match="list of type names"):
        skdeep.load(saved, trusted="math.sqrt")
    import math

    assert skdeep.load(saved, trusted=["math.sqrt"]).metric_params is math.sqrt


# ---------------------------------------------------------------- pickle and joblib


@pytest.mark.parametrize(
    "index", range(len(INSTANCES)), ids=[_id(e) for e in INSTANCES]
)
def test_pickle_round_trip(fitted, index):
    estimator, X = fitted[index]
    for blob in (pickle.dumps(estimator), pickle.dumps(clone(estimator))):
        loaded = pickle.loads(blob)
        assert loaded.get_params() == estimator.get_params()
    loaded = pickle.loads(pickle.dumps(estimator))
    _assert_same_outputs(_outputs(loaded, X), _outputs(estimator, X))


def test_joblib_pipeline_and_search_results(tmp_path):
    X, y = make_blobs(n_samples=40, centers=3, random_state=0)
    mlp = skdeep.MLPClassifier((4,), max_iter=5, random_state=0)
    with _no_warning_check():
        search = GridSearchCV(
            make_pipeline(StandardScaler(), mlp), {"mlpclassifier__alpha": [1e-4, 1e-2]}
        ).fit(X, y)
    joblib.dump(search, tmp_path / "search.joblib")
    loaded = joblib.load(tmp_path / "search.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), search.predict_proba(X))
    np.testing.assert_array_equal(
        loaded.best_estimator_.predict(X), search.best_estimator_.predict(X)
    )


# ---------------------------------------------------------------- fresh process

_FRESH = textwrap.dedent(
    """
    import sys, warnings
    warnings.simplefilter("ignore")
    import joblib, numpy as np, skdeep
    folder, n, methods = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    X = np.load(folder + "/X.npy")
    out = {}
    for i in range(n):
        for fmt, model in (
            ("skops", skdeep.load(f"{folder}/{i}.skops")),
            ("joblib", joblib.load(f"{folder}/{i}.joblib")),
        ):
            for method in methods:
                if hasattr(model, method):
                    out[f"{i}-{fmt}-{method}"] = np.asarray(getattr(model, method)(X))
    np.savez(folder + "/out.npz", **out)
    """
)


def test_predictions_identical_in_a_fresh_process(fitted, tmp_path):
    X = fitted[0][1]
    np.save(tmp_path / "X.npy", X)
    expected = {}
    fitted = [
        (estimator, X_fit)
        for estimator, X_fit in fitted
        if not type(estimator).__module__.startswith("skdeep.wrappers.")
    ]  # (a fitted wrapper's skops file: see _FITTED_WRAPPER_TYPES)
    for i, (estimator, X_fit) in enumerate(fitted):
        assert np.array_equal(X_fit, X)
        skdeep.save(estimator, tmp_path / f"{i}.skops")
        joblib.dump(estimator, tmp_path / f"{i}.joblib")
        for method, values in _outputs(estimator, X).items():
            expected[f"{i}-skops-{method}"] = values
            expected[f"{i}-joblib-{method}"] = values
    root = os.path.dirname(os.path.dirname(os.path.abspath(skdeep.__file__)))
    env = {**os.environ, "PYTHONPATH": root, "TF_CPP_MIN_LOG_LEVEL": "3"}
    subprocess.run(
        [
            sys.executable,
            "-c",
            _FRESH,
            str(tmp_path),
            str(len(fitted)),
            ",".join(METHODS),
        ],
        check=True,
        env=env,
        timeout=300,
    )
    with np.load(tmp_path / "out.npz") as got:
        assert set(got.files) == set(expected)
        for key, values in expected.items():
            np.testing.assert_array_equal(got[key], values, err_msg=key)


# ---------------------------------------------------------------- the Keras hook


class KerasHolder:
    """A stand-in for an estimator holding a user's Keras model (the wrappers)."""

    def __init__(self, model):
        self.model_ = model
        self.n_features_in_ = 3

    def __getstate__(self):
        from skdeep.utils._keras_state import keras_models_to_bytes

        return keras_models_to_bytes(self.__dict__)

    def __setstate__(self, state):
        from skdeep.utils._keras_state import keras_models_from_bytes

        self.__dict__.update(keras_models_from_bytes(state))


def _user_model(*layers):
    import keras

    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(4, activation="tanh")(inputs)
    for layer in layers:
        hidden = layer(hidden)
    return keras.Model(inputs, keras.layers.Dense(1)(hidden))


def test_keras_hook_round_trip_with_pickle_and_skops():
    import keras

    holder = KerasHolder(_user_model(keras.layers.Dropout(0.1)))
    X = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    expected = holder.model_.predict(X, verbose=0)
    state = holder.__getstate__()
    assert isinstance(state["model_@keras"], bytes) and "model_" not in state
    data = skops_io.dumps(holder)
    # only the holder's own class, no Keras type, needs trusting
    assert skops_io.get_untrusted_types(data=data) == [f"{__name__}.KerasHolder"]
    for loaded in (
        skops_io.loads(data, trusted=[f"{__name__}.KerasHolder"]),
        pickle.loads(pickle.dumps(holder)),
    ):
        assert isinstance(loaded.model_, keras.Model)
        np.testing.assert_array_equal(loaded.model_.predict(X, verbose=0), expected)


def test_keras_hook_refuses_lambda_layers():
    """A Lambda layer is Python code: refused when written (nothing to read back),
    and an archive holding one (written without that check) loads nothing."""
    import keras

    from skdeep.utils._keras_state import keras_model_from_bytes, keras_model_to_bytes

    def spy(x):
        TRIPPED.append("lambda")
        return x

    holder = KerasHolder(_user_model(keras.layers.Lambda(spy)))
    with pytest.raises(ValueError, match="(?s)would not load back.*Lambda"):
        skops_io.dumps(holder)
    with pytest.raises(ValueError, match="(?s)would not load back.*Lambda"):
        pickle.dumps(holder)
    data = keras_model_to_bytes(holder.model_)
    TRIPPED.clear()
    with pytest.raises(ValueError, match="(?s)safe mode.*Lambda"):
        keras_model_from_bytes(data)
    assert TRIPPED == []


def test_keras_hook_refuses_what_is_not_an_archive():
    from skdeep.utils._keras_state import keras_model_from_bytes

    with pytest.raises(ValueError, match="not a .keras archive"):
        keras_model_from_bytes(b"\x80\x04not a zip")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model.weights.h5", b"")
    with pytest.raises(ValueError, match="no config.json"):
        keras_model_from_bytes(buffer.getvalue())
