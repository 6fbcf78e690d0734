"""The NumPy inference pass: chunking, in-place row operations, labels from logits."""

import pickle
import warnings

import numpy as np
import pytest
from scipy.special import softmax
from sklearn.datasets import load_iris
from sklearn.preprocessing import StandardScaler

from skdeep._bridge._devices import resolve
from skdeep.neural_network import MLPClassifier, WideDeepRegressor
from skdeep.neural_network._architectures import build_mlp, build_wide_deep
from skdeep.neural_network._engine import KerasPredictor
from skdeep.neural_network._inference import (
    NonFiniteInputError,
    NumpyForward,
    _fold_biases,
    _RowOperand,
    _softmax_in_place,
)
from skdeep.neural_network._inference_plan import describe

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

DTYPES = [np.float32, np.float64]


def _identity(n_outputs, output_activation):
    """A one-layer network whose logits are its inputs (identity kernel, no bias)."""
    model = build_mlp(
        n_outputs,
        n_outputs,
        hidden_layer_sizes=(),
        output_activation=output_activation,
        dtype="float64",
    )
    model.set_weights([np.eye(n_outputs), np.zeros(n_outputs)])
    return NumpyForward(model)


def _chunked(forward, rows, widest, dtype):
    """``forward`` set to run ``rows`` rows at a time (``widest`` units wide)."""
    dtype = np.dtype(dtype)
    forward.chunk_bytes = rows * widest * dtype.itemsize
    assert forward._chunk_rows([np.empty((1, 1), dtype)], dtype) == rows
    return forward


def _near_ties(dtype, n_classes=4, seed=0):
    """Rows of logits whose two largest are 0 to 3 ulps apart, at many magnitudes,
    plus exact ties and non-finite rows."""
    rng = np.random.default_rng(seed)
    rows = []
    for magnitude in (1e-3, 0.1, 0.3, 1.0, 7.0, 300.0):
        for gap in range(4):
            for _ in range(25):
                z = rng.uniform(-1, 0, n_classes).astype(dtype) * magnitude
                top = dtype(rng.uniform(0.5, 1.0) * magnitude)
                i, j = rng.choice(n_classes, size=2, replace=False)
                z[i] = top
                z[j] = top
                for _ in range(gap):
                    z[j] = np.nextafter(z[j], dtype(np.inf))
                rows.append(z)
    special = np.zeros((4, n_classes), dtype)
    special[0, 1] = np.inf
    special[1, 2] = np.nan
    special[2] = -np.inf
    special[2, 3] = 0.0
    special[3, :2] = np.inf
    huge = np.finfo(dtype).max / 4  # finite, but a sum over rows overflows
    large = np.tile(
        np.resize(np.array([huge, -huge, 0.0, huge / 2], dtype), n_classes), (8, 1)
    )
    return np.vstack(rows + [special, large])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("rows", [8, 4096])  # probabilities / logits and the rule
# the rule class by class (few classes) and row by row (many)
@pytest.mark.parametrize("n_classes", [4, 40])
def test_softmax_labels_equal_argmax_of_probabilities(dtype, rows, n_classes):
    forward = _chunked(
        _identity(n_classes, "softmax"), rows=rows, widest=n_classes, dtype=dtype
    )
    _assert_softmax_labels_decode_probabilities(forward, _near_ties(dtype, n_classes))


def _assert_softmax_labels_decode_probabilities(forward, z):
    """``forward.labels(z)`` is the argmax of its probabilities, on logits ``z``
    where that is not always the largest logit."""
    with np.errstate(invalid="ignore"):  # inf * 0 in the identity kernel
        expected = np.argmax(forward(z), axis=1)
        labels = forward.labels(z)
    np.testing.assert_array_equal(labels, expected)
    # The rows exercise the rounding: the largest logit is not always the answer.
    assert np.any(np.argmax(z, axis=1) != expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_labels_with_as_many_rows_as_classes(dtype):
    """Square logits: the rule must not mistake rows for classes."""
    n = 20
    forward = _chunked(_identity(n, "softmax"), rows=4096, widest=n, dtype=dtype)
    z = _near_ties(dtype, n)
    z = np.vstack([z[::40][:16], z[-12:-8]])  # near ties and the non-finite rows
    assert z.shape == (n, n)
    _assert_softmax_labels_decode_probabilities(forward, z)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_labels_equal_probabilities_above_half(dtype):
    forward = _identity(3, "sigmoid")
    tiny = np.finfo(dtype).eps
    values = np.array(
        [0.0, -0.0, tiny / 8, tiny / 2, tiny, 2 * tiny, 1e-3, -1e-9, 5.0, -5.0]
        + [np.inf, -np.inf, np.nan],
        dtype,
    )
    z = np.random.default_rng(0).choice(values, size=(200, 3)).astype(dtype)
    with np.errstate(invalid="ignore"):
        expected = forward(z) > 0.5
        labels = forward.labels(z)
    assert labels.dtype == bool and labels.shape == (200, 3)
    np.testing.assert_array_equal(labels, expected)
    assert np.any((z > 0) != expected)  # tiny positive logits round to 0.5


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("output_activation", ["softmax", "sigmoid"])
def test_labels_equal_decoded_probabilities_on_random_networks(
    dtype, output_activation
):
    rng = np.random.default_rng(1)
    for seed in range(3):
        model = build_mlp(
            7,
            5,
            hidden_layer_sizes=(16, 9),
            output_activation=output_activation,
            seed=seed,
        )
        forward = _chunked(NumpyForward(model), rows=64, widest=16, dtype=dtype)
        X = rng.normal(scale=3.0, size=(1000, 7)).astype(dtype)
        proba = forward(X)
        assert proba.dtype == dtype
        labels = forward.labels(X)
        if output_activation == "softmax":
            np.testing.assert_array_equal(labels, np.argmax(proba, axis=1))
        else:
            np.testing.assert_array_equal(labels, proba > 0.5)


def test_labels_need_a_classifier_output():
    forward = NumpyForward(build_mlp(3, 2, hidden_layer_sizes=(4,)))
    with pytest.raises(ValueError, match="softmax or sigmoid"):
        forward.labels(np.zeros((2, 3), np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("n", [1, 6, 7, 8, 20])
def test_chunk_boundaries(dtype, n):
    """n = chunk - 1, chunk, chunk + 1 and several chunks give Keras' outputs."""
    model = build_mlp(
        5,
        3,
        hidden_layer_sizes=(11, 4),
        activation="tanh",
        output_activation="softmax",
        batch_normalization=True,
        dropout=0.3,
        seed=3,
    )
    forward = _chunked(NumpyForward(model), rows=7, widest=11, dtype=dtype)
    X = np.random.default_rng(n).normal(size=(n, 5)).astype(dtype)
    out = forward(X)
    assert out.shape == (n, 3) and out.dtype == dtype
    expected = model(X.astype(np.float32), training=False).numpy()
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    whole = NumpyForward(model)(X)  # one chunk
    np.testing.assert_allclose(out, whole, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(forward.labels(X), np.argmax(out, axis=1))


@pytest.mark.parametrize("two_inputs", [False, True])
def test_chunked_wide_deep_with_two_outputs(two_inputs):
    model = build_wide_deep(
        6,
        2,
        wide_features=[0, 1] if two_inputs else None,
        deep_features=[2, 3, 4] if two_inputs else None,
        hidden_layer_sizes=(8, 5),
        auxiliary_output=True,
        batch_normalization=True,
        seed=0,
    )
    forward = _chunked(NumpyForward(model), rows=4, widest=8, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(11, 6)).astype(np.float32)
    inputs = [X[:, [0, 1]], X[:, [2, 3, 4]]] if two_inputs else [X]
    main, auxiliary = forward(*inputs)
    keras_main, keras_auxiliary = model(inputs if two_inputs else X, training=False)
    np.testing.assert_allclose(main, keras_main, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(auxiliary, keras_auxiliary, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="softmax or sigmoid"):
        forward.labels(*inputs)


def test_float64_inputs_are_computed_in_float64():
    model = build_mlp(4, 2, hidden_layer_sizes=(5,), seed=0)
    forward = NumpyForward(model)
    X = np.random.default_rng(0).normal(size=(9, 4))
    out = forward(X)
    assert out.dtype == np.float64
    weights = [w.astype(np.float64) for w in model.get_weights()]
    hidden = np.maximum(X @ weights[0] + weights[1], 0)
    np.testing.assert_allclose(out, hidden @ weights[2] + weights[3], rtol=1e-14)


# ------------------------------------------------------------ finiteness check


def _spoil(X, i, j, bad):
    X = X.copy()
    if bad == "inf and -inf":  # their sum is NaN
        X[i, j], X[i, (j + 1) % X.shape[1]] = np.inf, -np.inf
    else:
        X[i, j] = bad
    return X


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, "inf and -inf"])
@pytest.mark.parametrize("hidden", [(6,), ()])  # checked by a hidden / output layer
def test_check_finite_sees_every_value(dtype, bad, hidden):
    model = build_mlp(
        5, 3, hidden_layer_sizes=hidden, output_activation="softmax", seed=0
    )
    widest = 6 if hidden else 3  # the widest layer
    forward = _chunked(NumpyForward(model), rows=7, widest=widest, dtype=dtype)
    X = np.random.default_rng(0).normal(size=(20, 5)).astype(dtype)
    np.testing.assert_array_equal(forward(X, check_finite=True), forward(X))
    np.testing.assert_array_equal(
        forward.labels(X, check_finite=True), forward.labels(X)
    )
    for i in range(20):  # every row of the three chunks, every column
        for j in range(5):
            spoilt = _spoil(X, i, j, bad)
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # no RuntimeWarning before the error
                with pytest.raises(NonFiniteInputError):
                    forward(spoilt, check_finite=True)
                with pytest.raises(NonFiniteInputError):
                    forward.labels(spoilt, check_finite=True)


@pytest.mark.parametrize("dtype", DTYPES)
def test_check_finite_accepts_the_largest_floats(dtype):
    """Sums of finite values never pass for non-finite ones, even at the top of the
    float range (where the sum itself could overflow)."""
    model = build_mlp(4, 2, hidden_layer_sizes=(3,), seed=0)
    forward = NumpyForward(model)
    big = np.finfo(dtype).max
    X = np.array([[big, big, big, big], [big, -big, big, -big], [1, 2, 3, 4]], dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        np.testing.assert_array_equal(forward(X, check_finite=True), forward(X))


@pytest.mark.parametrize("column", [0, 1, 3])  # wide (a Concatenate), deep (a Dense)
def test_check_finite_on_two_inputs(column):
    model = build_wide_deep(
        5,
        1,
        wide_features=[0, 1],
        deep_features=[2, 3, 4],
        hidden_layer_sizes=(4,),
        seed=0,
    )
    forward = _chunked(NumpyForward(model), rows=4, widest=4, dtype=np.float32)
    X = np.random.default_rng(0).normal(size=(9, 5)).astype(np.float32)
    X[7, column] = np.nan
    inputs = [X[:, [0, 1]], X[:, [2, 3, 4]]]
    with pytest.raises(NonFiniteInputError):
        forward(*inputs, check_finite=True)
    X[7, column] = 0.0
    inputs = [X[:, [0, 1]], X[:, [2, 3, 4]]]
    np.testing.assert_array_equal(forward(*inputs, check_finite=True), forward(*inputs))


@pytest.mark.parametrize("dtype", DTYPES)
# (inf and -inf together make scikit-learn's own check warn: it sums X first)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_predict_rejects_non_finite_input_in_any_chunk(dtype, bad, iris):
    """Through the estimator: scikit-learn's error, no warning before it."""
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=2, random_state=0)
    clf.fit(X, y)
    X_large = np.tile(X, (70, 1)).astype(dtype)  # 10500 rows: several chunks
    for row in (0, 5000, len(X_large) - 1):
        spoilt = _spoil(X_large, row, 2, bad)
        for method in (clf.predict, clf.predict_proba):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
                    method(spoilt)


def test_wide_deep_checks_columns_neither_path_reads():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)), rng.normal(size=40)
    reg = WideDeepRegressor(
        wide_features=[0], deep_features=[1, 2], hidden_layer_sizes=(3,), max_iter=2
    )
    reg.fit(X, y)
    X[5, 3] = np.nan  # a column in neither path
    with pytest.raises(ValueError, match="Input X contains NaN"):
        reg.predict(X)


@pytest.mark.parametrize("n", [0, 1, 4, 5, 6, 23])
def test_row_operand_equals_broadcasting(n):
    rng = np.random.default_rng(n)
    row = rng.normal(size=3)
    operand = _RowOperand(row, width=15)  # groups of 5 rows
    assert operand.group == 5
    for ufunc in (np.add, np.maximum):
        h = rng.normal(size=(n, 3))
        expected = ufunc(h, row)
        assert operand.apply(ufunc, h) is h
        np.testing.assert_array_equal(h, expected)
    strided = rng.normal(size=(n, 6))[:, ::2]  # not contiguous: the plain loop
    expected = strided + row
    operand.apply(np.add, strided)
    np.testing.assert_array_equal(strided, expected)


@pytest.mark.parametrize("dtype", DTYPES)
def test_softmax_in_place_is_scipy_softmax(dtype):
    z = _near_ties(dtype)
    z = np.vstack([z, np.random.default_rng(0).normal(scale=5, size=(300, 4))])
    z = z.astype(dtype)
    with np.errstate(invalid="ignore"):
        expected = softmax(z, axis=-1)
        result = _softmax_in_place(z.copy())
    np.testing.assert_array_equal(result, expected)  # bit for bit, NaN rows too


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


@pytest.mark.parametrize("task", ["binary", "multiclass", "multilabel"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_predict_equals_decoded_predict_proba(task, dtype, iris):
    X, y = iris
    if task == "binary":
        y = np.where(y == 1, "b", "a")
    elif task == "multilabel":
        y = np.column_stack([y == 0, y == 1, X[:, 0] > 0]).astype(int)
    clf = MLPClassifier(
        hidden_layer_sizes=(6,), max_iter=5, random_state=0, dtype=dtype
    ).fit(X, y)
    for X_pred in (X, X.astype(np.float32)):
        proba = clf.predict_proba(X_pred)
        predicted = clf.predict(X_pred)
        if task == "multilabel":
            expected = (proba > 0.5).astype(int)
        else:
            expected = clf.classes_[np.argmax(proba, axis=1)]
        np.testing.assert_array_equal(predicted, expected)
        assert predicted.dtype == expected.dtype
    # through validate_data (a list), the same labels
    np.testing.assert_array_equal(clf.predict(X.tolist()), clf.predict(X))


@pytest.mark.parametrize(
    "kwargs, folded",
    [
        ({}, [True, True, False]),
        ({"dropout": 0.2}, [True, True, False]),  # through the Dropout layers
        ({"activation": "tanh"}, [False, False, False]),
        ({"batch_normalization": True}, [False, False, False]),
    ],
)
def test_relu_biases_fold_into_the_next_dense_layer(kwargs, folded):
    model = build_mlp(6, 3, hidden_layer_sizes=(8, 5), seed=1, **kwargs)
    model.set_weights(
        [w + np.float32(0.3) if w.ndim == 1 else w for w in model.get_weights()]
    )  # non-zero biases
    plan = _fold_biases(*describe(model))
    assert [d[2] for d in plan if d is not None] == folded
    X = np.random.default_rng(0).normal(size=(50, 6))
    expected = model(X.astype(np.float32), training=False).numpy()
    np.testing.assert_allclose(NumpyForward(model)(X), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"batch_normalization": True, "dropout": 0.2, "output_activation": "softmax"},
        {"activation": "leaky_relu", "output_activation": "sigmoid"},
    ],
)
def test_the_pass_pickles_as_plain_data(kwargs):
    """Pickled, the pass is its plan and weights: plain Python and NumPy values."""
    model = build_mlp(6, 3, hidden_layer_sizes=(8, 5), seed=1, **kwargs)
    forward = NumpyForward(model)
    blob = pickle.dumps(forward)
    assert b"keras" not in blob
    copy = pickle.loads(blob)
    X = np.random.default_rng(0).normal(size=(30, 6))
    for dtype in DTYPES:
        np.testing.assert_array_equal(copy(X.astype(dtype)), forward(X.astype(dtype)))
        np.testing.assert_array_equal(
            copy.labels(X.astype(dtype)), forward.labels(X.astype(dtype))
        )


def test_wide_deep_folds_only_the_layers_read_by_dense_layers():
    model = build_wide_deep(4, 1, hidden_layer_sizes=(5, 3), seed=0)
    plan = _fold_biases(*describe(model))
    # deep_1 feeds deep_2; deep_2 feeds the concatenation: kept whole
    assert [d[2] for d in plan if d is not None] == [True, False, False]


def test_the_keras_predictor_gives_the_numpy_passs_labels(iris):
    """The predictor GPUs and other backends use decides labels as the NumPy pass."""
    X, y = iris
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=5, random_state=0).fit(X, y)
    expected = clf.predict(X)
    clf._predictor = KerasPredictor(clf.model_, resolve("cpu"))
    np.testing.assert_array_equal(clf.predict(X), expected)
