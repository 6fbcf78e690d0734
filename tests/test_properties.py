"""Property-based tests (hypothesis) of the classic estimators' invariants.

On data hypothesis draws (arbitrary float matrices with duplicates and extreme
scales, and clustered data of any shape): predicted labels stay within
``classes_`` (plus -1 for noise), probabilities lie in [0, 1] and sum to 1,
``decision_function``'s sign matches ``predict``, and shuffling the training
samples does not change what is fitted beyond tolerance.
"""

import contextlib
import warnings

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from skdeep import (
    ClusterPropagationClassifier,
    DBSCANPredictor,
    GaussianMixtureAnomalyDetector,
)

# derandomized: CI runs the same examples every time; no example database written
SETTINGS = settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def raw_matrices(draw, min_rows=12, max_rows=40):
    """Float matrices with repeated rows, constant columns and scales 1e-3..1e3."""
    n_rows = draw(st.integers(min_rows, max_rows))
    n_cols = draw(st.integers(1, 4))
    scale = 10.0 ** draw(st.integers(-3, 3))
    values = draw(
        hnp.arrays(
            np.float64,
            (n_rows, n_cols),
            elements=st.floats(-1.0, 1.0, allow_nan=False, width=32),
        )
    )
    return values * scale


@st.composite
def blobs(draw, min_centers=1, max_centers=4, per_center=12):
    """Well-separated clusters of any shape and scale, and a permutation."""
    seed = draw(st.integers(0, 2**16))
    n_centers = draw(st.integers(min_centers, max_centers))
    n_samples = draw(st.integers(per_center * n_centers, 2 * per_center * n_centers))
    n_features = draw(st.integers(1, 4))
    scale = 10.0 ** draw(st.integers(-2, 2))
    rng = np.random.default_rng(seed)
    # centres on a grid 10 standard deviations apart: separated in every dimension
    grid = rng.permutation(n_centers * 3)[:n_centers] * 10.0
    centers = np.column_stack([grid] + [rng.permutation(grid)] * (n_features - 1))
    X, y = make_blobs(
        n_samples=n_samples,
        centers=centers[:, :n_features],
        cluster_std=1.0,
        random_state=seed,
    )
    return X * scale, y, rng.permutation(n_samples), scale


def _same_partition(a, b):
    """Whether two labelings split the samples the same way (labels may differ)."""
    pairs = set(zip(a.tolist(), b.tolist()))
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


@contextlib.contextmanager
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        # drawn data may hold no cluster at all: a valid case, with a warning
        warnings.filterwarnings("ignore", "DBSCAN found no cluster", UserWarning)
        yield


# ------------------------------------------------------------------ DBSCANPredictor


@SETTINGS
@given(
    X=raw_matrices(),
    eps_share=st.floats(0.01, 1.0),
    min_samples=st.integers(1, 6),
    train_on=st.sampled_from(["core", "clustered", "all"]),
)
def test_dbscan_predictor_labels_and_probabilities(X, eps_share, min_samples, train_on):
    span = float(np.ptp(X)) or 1.0
    model = DBSCANPredictor(
        eps=eps_share * span, min_samples=min_samples, train_on=train_on
    )
    with _quiet():
        model.fit(X)
    query = np.vstack([X, X.mean(axis=0, keepdims=True), X.max(axis=0) + span])
    labels = model.predict(query)
    assert set(labels.tolist()) <= set(model.classes_.tolist()) | {-1}
    assert set(model.labels_.tolist()) <= set(model.classes_.tolist()) | {-1}
    proba = model.predict_proba(query)
    assert proba.shape == (len(query), len(model.classes_))
    assert np.all((proba >= 0) & (proba <= 1 + 1e-12))
    sums = proba.sum(axis=1)
    if train_on == "all":  # the noise share of the vote is left out
        assert np.all(sums <= 1 + 1e-12)
    elif len(model.classes_):
        np.testing.assert_allclose(sums, 1.0)
    assert np.all(model.score_samples(query) <= 0)


@SETTINGS
@given(data=blobs(), eps_in_std=st.floats(0.3, 3.0), min_samples=st.integers(2, 6))
def test_dbscan_predictor_sample_order(data, eps_in_std, min_samples):
    X, _, order, scale = data
    eps = eps_in_std * scale  # in units of the clusters' standard deviation
    with _quiet():
        a = DBSCANPredictor(eps=eps, min_samples=min_samples).fit(X)
        b = DBSCANPredictor(eps=eps, min_samples=min_samples).fit(X[order])
    inverse = np.argsort(order)
    labels_b = b.labels_[inverse]
    # core samples and noise do not depend on the order; nor does the partition of
    # the core samples (border samples may join either neighbouring cluster)
    core_a = np.zeros(len(X), bool)
    core_a[a.core_sample_indices_] = True
    core_b = np.zeros(len(X), bool)
    core_b[order[b.core_sample_indices_]] = True
    np.testing.assert_array_equal(core_a, core_b)
    np.testing.assert_array_equal(a.labels_ == -1, labels_b == -1)
    assert _same_partition(a.labels_[core_a], labels_b[core_a])


# ------------------------------------------------------ GaussianMixtureAnomalyDetector


@SETTINGS
@given(
    X=raw_matrices(),
    contamination=st.one_of(st.just("auto"), st.floats(0.01, 0.4)),
    covariance_type=st.sampled_from(["full", "diag", "spherical", "tied"]),
)
def test_gmm_anomaly_labels_and_decision_sign(X, contamination, covariance_type):
    model = GaussianMixtureAnomalyDetector(
        n_components_range=(1, 2),
        contamination=contamination,
        covariance_type=covariance_type,
        random_state=0,
    )
    with _quiet():
        model.fit(X)
    labels = model.predict(X)
    assert set(labels.tolist()) <= {-1, 1}
    decision = model.decision_function(X)
    np.testing.assert_array_equal(labels, np.where(decision < 0, -1, 1))
    np.testing.assert_allclose(decision, model.score_samples(X) - model.offset_)


# The detector fits on canonically ordered rows, so k-means seeding (and hence the
# local optimum EM finds) no longer follows the caller's row order.
@settings(SETTINGS, max_examples=8)
@given(data=blobs(max_centers=3, per_center=40))
def test_gmm_anomaly_sample_order(data):
    X, _, order, _ = data
    params = dict(n_components_range=(1, 2, 3, 4), random_state=0)
    with _quiet():
        a = GaussianMixtureAnomalyDetector(**params).fit(X)
        b = GaussianMixtureAnomalyDetector(**params).fit(X[order])
    assert a.n_components_ == b.n_components_
    # the same mixture up to EM's tolerance: log-densities agree closely
    spread = np.ptp(a.score_samples(X)) + 1.0
    np.testing.assert_allclose(
        a.score_samples(X), b.score_samples(X), atol=0.02 * spread
    )
    assert np.mean(a.predict(X) == b.predict(X)) >= 0.95


# ---------------------------------------------------- ClusterPropagationClassifier


def _hide_labels(y, rng, marker=-1):
    """Keep one label per class and about a third of the rest."""
    y = y.copy()
    keep = rng.random(len(y)) < 0.33
    for label in np.unique(y):
        keep[np.flatnonzero(y == label)[0]] = True
    y[~keep] = marker
    return y


@SETTINGS
@given(data=blobs(min_centers=2), n_clusters=st.integers(2, 8))
def test_cluster_propagation_labels_probabilities_decisions(data, n_clusters):
    X, y, order, _ = data
    y = _hide_labels(y, np.random.default_rng(len(X)))
    model = ClusterPropagationClassifier(n_clusters=n_clusters, random_state=0)
    with _quiet():
        model.fit(X, y)
    assert -1 not in model.classes_
    query = np.vstack([X, X.mean(axis=0, keepdims=True)])
    labels = model.predict(query)
    assert set(labels.tolist()) <= set(model.classes_.tolist())
    proba = model.predict_proba(query)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    if not hasattr(model, "decision_function"):
        return  # the default classifier (a calibrated SVC) has none
    decision = model.decision_function(query)
    if decision.ndim == 1:  # binary: positive means classes_[1]
        expected = model.classes_[(decision > 0).astype(int)]
    else:
        expected = model.classes_[np.argmax(decision, axis=1)]
    np.testing.assert_array_equal(labels, expected)


@SETTINGS
@given(data=blobs(min_centers=2))
def test_cluster_propagation_sample_order(data):
    X, y, order, _ = data
    y = _hide_labels(y, np.random.default_rng(len(X)))
    n_clusters = len(np.unique(y[y != -1]))
    params = dict(n_clusters=n_clusters, random_state=0)
    with _quiet():
        a = ClusterPropagationClassifier(**params).fit(X, y)
        b = ClusterPropagationClassifier(**params).fit(X[order], y[order])
    np.testing.assert_array_equal(a.classes_, b.classes_)
    assert np.mean(a.predict(X) == b.predict(X)) >= 0.95
    np.testing.assert_allclose(a.predict_proba(X), b.predict_proba(X), atol=0.05)
