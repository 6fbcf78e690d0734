"""Data larger than memory: the wrappers fit on streamed batches (generators,
``keras.utils.PyDataset``, ``tf.data.Dataset``) and on ``np.memmap`` arrays read a
chunk of rows at a time."""

import keras
import numpy as np
import pytest
from sklearn.model_selection import cross_val_score

from skdeep._bridge.engine import _loop, _predict
from skdeep.wrappers import KerasClassifier, KerasRegressor


def build(meta, hidden=8):
    activation = {"binary": "sigmoid", "multiclass": "softmax"}
    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:]),
            keras.layers.Dense(hidden, activation="relu"),
            keras.layers.Dense(
                meta["n_outputs_expected_"],
                activation=activation.get(meta["target_type_"]),
            ),
        ]
    )


class Batches(keras.utils.PyDataset):
    """Arrays served in fixed, unshuffled minibatches."""

    def __init__(self, X, y, batch_size, weights=None):
        super().__init__()
        self.X, self.y, self.weights, self.size = X, y, weights, batch_size

    def __len__(self):
        return -(-len(self.X) // self.size)

    def __getitem__(self, i):
        rows = slice(i * self.size, (i + 1) * self.size)
        if self.weights is None:
            return self.X[rows], self.y[rows]
        return self.X[rows], self.y[rows], self.weights[rows]


def forever(X, y, batch_size):
    """An endless generator of minibatches (``steps_per_epoch`` ends each epoch)."""
    while True:
        for start in range(0, len(X), batch_size):
            yield X[start : start + batch_size], y[start : start + batch_size]


def _weights(estimator):
    return [w.copy() for w in estimator.model_.get_weights()]


def test_pydataset_trains_as_the_arrays_would(classes3):
    """Same minibatches in the same order: the same network, whatever the source."""
    X, y = classes3
    labels = np.array(["a", "b", "c"])[y]
    params = dict(epochs=2, batch_size=40, shuffle=False, random_state=0)
    from_arrays = KerasClassifier(build, **params).fit(X, labels)
    streamed = KerasClassifier(build, **params).fit(
        Batches(X, labels, 40), classes=["a", "b", "c"]
    )
    for got, expected in zip(_weights(streamed), _weights(from_arrays)):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(streamed.classes_, ["a", "b", "c"])
    assert streamed.n_features_in_ == X.shape[1]
    assert streamed.X_shape_ == (None, X.shape[1])
    assert len(streamed.history_["loss"]) == 2
    assert set(streamed.predict(X)) <= {"a", "b", "c"}
    np.testing.assert_allclose(
        streamed.predict_proba(X), from_arrays.predict_proba(X), rtol=1e-4
    )


def test_generator_with_steps_per_epoch(housing):
    X, y = housing
    reg = KerasRegressor(build, epochs=3, random_state=0, optimizer="adam")
    reg.fit(forever(X, y, 50), steps_per_epoch=6)
    assert len(reg.history_["loss"]) == 3
    assert reg.history_["loss"][-1] < reg.history_["loss"][0]
    assert reg.n_features_in_ == 8 and reg.n_outputs_expected_ == 1
    assert reg.predict(X[:7]).shape == (7,)


def test_generator_validation_data_and_weights(classes3):
    X, y = classes3
    weights = np.where(y == 0, 2.0, 1.0)
    batches = Batches(X, y, 60, weights=weights)
    clf = KerasClassifier(build, epochs=2, random_state=0).fit(
        batches,
        classes=[0, 1, 2],
        validation_data=forever(X[:60], y[:60], 30),
        validation_steps=2,
    )
    assert len(clf.history_["val_loss"]) == 2
    assert clf.n_classes_ == 3


def test_tf_data_dataset(classes3):
    tf = pytest.importorskip("tensorflow")
    X, y = classes3
    labels = np.array([10, 20, 30])[y]
    dataset = tf.data.Dataset.from_tensor_slices((X, labels)).batch(32)
    params = dict(epochs=2, random_state=0, batch_size=32, shuffle=False)
    clf = KerasClassifier(build, **params).fit(dataset, classes=[10, 20, 30])
    assert clf.target_type_ == "multiclass"
    assert set(np.unique(clf.predict(X))) <= {10, 20, 30}
    # the batches of the unshuffled arrays: the same training
    from_arrays = KerasClassifier(build, **params).fit(X, labels)
    np.testing.assert_allclose(
        clf.predict_proba(X), from_arrays.predict_proba(X), rtol=1e-4, atol=1e-6
    )
    # one-hot rows carry their classes: none to declare
    one_hot = tf.data.Dataset.from_tensor_slices((X, np.eye(3)[y])).batch(32)
    clf = KerasClassifier(build, epochs=1, random_state=0).fit(one_hot)
    assert clf.predict(X[:4]).shape == (4, 3)


def test_first_batch_without_every_class(classes3):
    """A first batch of two classes, declared three: a three-class network."""
    X, y = classes3
    order = np.argsort(y == 2, kind="stable")  # class 2 only in the last batches
    clf = KerasClassifier(build, epochs=1, random_state=0)
    clf.fit(Batches(X[order], y[order], 40), classes=[0, 1, 2])
    assert clf.model_.output_shape == (None, 3)
    assert clf.predict_proba(X[:2]).shape == (2, 3)


def test_unknown_label_in_a_later_batch(classes3):
    X, y = classes3
    clf = KerasClassifier(build, epochs=1, random_state=0)
    with pytest.raises(ValueError, match="not in `self.classes_`"):
        clf.fit(Batches(X, y, 40), classes=[0, 1])


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"y": np.zeros(240)}, ValueError, "y must be None"),
        ({"sample_weight": np.ones(240)}, ValueError, r"\(x, y, sample_weight\)"),
        ({"validation_split": 0.2}, ValueError, "validation_split=0.2 needs arrays"),
        ({"class_weight": "balanced"}, ValueError, "class_weight needs the targets"),
        ({}, ValueError, "needs classes="),
    ],
)
def test_what_a_stream_cannot_take(classes3, kwargs, error, match):
    X, y = classes3
    y_arg = kwargs.pop("y", None)
    class_weight = kwargs.pop("class_weight", None)
    clf = KerasClassifier(build, class_weight=class_weight)
    with pytest.raises(error, match=match):
        clf.fit(Batches(X, y, 40), y_arg, **kwargs)
    assert not hasattr(clf, "model_")


def test_errors_around_streams(classes3):
    X, y = classes3
    clf = KerasClassifier(build, epochs=1, random_state=0)
    with pytest.raises(ValueError, match=r"classes=\.\.\.\) applies to streamed X"):
        clf.fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="steps_per_epoch applies to streamed X"):
        clf.fit(X, y, steps_per_epoch=3)
    with pytest.raises(ValueError, match="classes applies to classifiers"):
        KerasRegressor(build).fit(Batches(X, y * 1.0, 40), classes=[0, 1])
    with pytest.raises(ValueError, match="empty generator"):
        clf.fit(iter([]), classes=[0, 1, 2])
    with pytest.raises(ValueError, match=r"tuple \(x, y\)"):
        clf.fit(iter([X]), classes=[0, 1, 2])
    clf.fit(Batches(X, y, 40), classes=[0, 1, 2])
    with pytest.raises(TypeError, match="predicts arrays"):
        clf.predict(Batches(X, y, 40))
    # cross-validation needs arrays: scikit-learn refuses a stream
    with pytest.raises(ValueError, match="must be an array-like"):
        cross_val_score(clf, forever(X, y, 40), None, cv=2)


# ---------------------------------------------------------------- memmap


def _memmap(array, tmp_path, dtype):
    mm = np.lib.format.open_memmap(
        tmp_path / f"x-{dtype}.npy", mode="w+", dtype=dtype, shape=array.shape
    )
    mm[:] = array
    mm.flush()
    return np.load(tmp_path / f"x-{dtype}.npy", mmap_mode="r")


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="the chunked memmap reader is the fast loop's; this backend's fits go to "
    "model.fit, which batches the memmap itself",
)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_memmap_is_read_in_chunks_and_trains_as_in_memory(
    housing, tmp_path, monkeypatch, dtype
):
    X, y = housing
    X = X.astype(dtype)
    X_mm = _memmap(X, tmp_path, dtype)
    params = dict(epochs=2, batch_size=16, random_state=0)
    in_memory = KerasRegressor(build, **params).fit(X, y)

    # chunks of 48 rows (3 minibatches of 16) instead of 64 MiB; record the rows
    # of every conversion of samples
    monkeypatch.setattr(_loop, "_CHUNK_BYTES", 16 * 8 * 4 * 3)
    converted = []
    for module in (_loop, _predict):
        original = module.to_floatx

        def spy(data, original=original):
            if isinstance(data, np.ndarray) and data.shape[1:] == X.shape[1:]:
                converted.append(len(data))
            return original(data)

        monkeypatch.setattr(module, "to_floatx", spy)
    monkeypatch.setattr(_predict, "_CHUNK", 100)

    from_disk = KerasRegressor(build, **params).fit(X_mm, y)
    for got, expected in zip(_weights(from_disk), _weights(in_memory)):
        np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(from_disk.predict(X_mm), in_memory.predict(X))
    # training converted chunks of 48 rows, prediction chunks of 100: never all
    assert 48 in converted and max(converted) <= 100 < len(X)


def _spy_conversions(monkeypatch, module, shape):
    """Record the number of rows of every ``to_floatx`` call of ``module`` on samples
    of ``shape``."""
    converted = []
    original = module.to_floatx

    def spy(data):
        if isinstance(data, np.ndarray) and data.shape[1:] == shape:
            converted.append(len(data))
        return original(data)

    monkeypatch.setattr(module, "to_floatx", spy)
    return converted


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="the chunked memmap reader is the fast loop's; this backend's fits go to "
    "model.fit, which batches the memmap itself",
)
@pytest.mark.parametrize("weighted", [False, True])
def test_memmap_validation_data_is_evaluated_in_chunks_as_in_memory(
    housing, tmp_path, monkeypatch, weighted
):
    X, y = housing
    X_train, y_train, X_val, y_val = X[:200], y[:200], X[200:295], y[200:295]
    X_val_mm = _memmap(X_val, tmp_path, "float64")
    w_val = np.linspace(0.5, 2.0, len(X_val)) if weighted else None
    params = dict(epochs=3, batch_size=16, validation_batch_size=10, metrics=["mae"])

    def fit(X_val):
        validation = (X_val, y_val) + ((w_val,) if weighted else ())
        reg = KerasRegressor(build, random_state=0, **params)
        return reg.fit(X_train, y_train, validation_data=validation).history_

    in_memory = fit(X_val)
    # chunks of 40 validation rows (4 batches of 10): 95 rows are 40 + 40 + 15, the
    # last batch 5 rows
    monkeypatch.setattr(_loop, "_CHUNK_BYTES", 10 * 8 * 4 * 4)
    converted = _spy_conversions(monkeypatch, _loop, X.shape[1:])
    from_disk = fit(X_val_mm)

    assert converted.count(40) == 2 * params["epochs"]
    assert converted.count(15) == params["epochs"]
    assert len(X_val) not in converted  # never converted whole
    assert set(from_disk) == {"loss", "mae", "val_loss", "val_mae"}
    for name in from_disk:
        np.testing.assert_allclose(from_disk[name], in_memory[name], rtol=1e-6)


@pytest.mark.skipif(
    keras.backend.backend() not in ("tensorflow", "jax"),
    reason="the chunked memmap reader is the fast loop's; this backend's fits go to "
    "model.fit, which batches the memmap itself",
)
def test_memmap_validation_split_is_evaluated_in_chunks(housing, tmp_path, monkeypatch):
    X, y = housing
    X_mm = _memmap(X, tmp_path, "float32")
    params = dict(epochs=2, batch_size=16, validation_split=0.3, random_state=0)
    in_memory = KerasRegressor(build, **params).fit(X.astype("float32"), y).history_

    monkeypatch.setattr(_loop, "_CHUNK_BYTES", 16 * 8 * 4 * 3)  # 48 rows
    converted = _spy_conversions(monkeypatch, _loop, X.shape[1:])
    from_disk = KerasRegressor(build, **params).fit(X_mm, y).history_

    # 90 validation rows (the last 30 %): 48 + 42, each epoch
    assert converted.count(42) == params["epochs"] and max(converted) == 48
    np.testing.assert_allclose(from_disk["val_loss"], in_memory["val_loss"], rtol=1e-6)
    np.testing.assert_allclose(from_disk["loss"], in_memory["loss"], rtol=1e-6)
