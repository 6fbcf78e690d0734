"""Known-answer tests for ClusterPropagationClassifier, its scorer and splitter."""

import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, ClusterMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import DBSCAN, KMeans
from sklearn.datasets import make_blobs, make_moons
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, make_scorer
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.svm import LinearSVC

from skdeep.semi_supervised import (
    ClusterPropagationClassifier,
    LabelledKFold,
    labelled_scorer,
)

CENTERS = [[0, 0], [10, 0], [0, 10]]


class FixedClusterer(ClusterMixin, BaseEstimator):
    """Clusterer that returns given labels: lets a test choose the clusters."""

    def __init__(self, labels=None):
        self.labels = labels

    def fit(self, X, y=None):
        self.labels_ = np.asarray(self.labels)
        return self


@pytest.fixture
def blobs():
    X, y = make_blobs(n_samples=60, centers=CENTERS, cluster_std=0.5, random_state=0)
    return X, y


def one_label_per_blob(y_true):
    y = np.full(y_true.shape[0], -1)
    for c in np.unique(y_true):
        first = np.flatnonzero(y_true == c)[0]
        y[first] = c
    return y


def test_one_label_per_blob_propagates_to_whole_blob(blobs):
    X, y_true = blobs
    y = one_label_per_blob(y_true)
    clf = ClusterPropagationClassifier(
        n_clusters=3, propagation="cluster", random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.transduction_, y_true)
    np.testing.assert_array_equal(clf.propagated_mask_, y == -1)
    np.testing.assert_array_equal(clf.classes_, [0, 1, 2])
    np.testing.assert_array_equal(clf.predict(X), y_true)
    np.testing.assert_allclose(clf.label_distributions_.sum(axis=1), 1.0)
    assert clf.n_clusters_ == 3
    assert clf.n_features_in_ == 2


def test_percentile_mode_propagates_to_closest_fraction(blobs):
    X, y_true = blobs
    clf = ClusterPropagationClassifier(
        n_clusters=3, propagation="percentile", percentile=20, random_state=0
    )
    y = np.full(60, -1)
    reps = clf.select_representatives(X)
    y[reps] = y_true[reps]
    clf.fit(X, y)
    km = clf.clusterer_
    dist = km.transform(X)[np.arange(60), km.labels_]
    for c in range(3):
        members = np.flatnonzero(km.labels_ == c)
        # 20th percentile of 20 distances lies between the 4th and 5th smallest
        closest = members[np.argsort(dist[members])[:4]]
        expected = np.setdiff1d(closest, reps)
        np.testing.assert_array_equal(
            np.flatnonzero(clf.propagated_mask_ & (km.labels_ == c)), np.sort(expected)
        )
    assert clf.propagated_mask_.sum() == 9
    # not propagated, not given: still unlabelled and unused
    untouched = (y == -1) & ~clf.propagated_mask_
    assert np.all(clf.transduction_[untouched] == -1)
    assert np.all(clf.label_distributions_[untouched] == 0)
    np.testing.assert_array_equal(
        clf.transduction_[clf.propagated_mask_], y_true[clf.propagated_mask_]
    )


def test_percentile_100_equals_cluster_mode(blobs):
    X, y_true = blobs
    y = one_label_per_blob(y_true)
    a = ClusterPropagationClassifier(n_clusters=3, percentile=100, random_state=0)
    b = ClusterPropagationClassifier(
        n_clusters=3, propagation="cluster", random_state=0
    )
    np.testing.assert_array_equal(a.fit(X, y).transduction_, b.fit(X, y).transduction_)


def test_representatives_are_closest_to_centroids(blobs):
    X, _ = blobs
    reps = ClusterPropagationClassifier(n_clusters=3, random_state=0)
    km = KMeans(n_clusters=3, random_state=0).fit(X)
    np.testing.assert_array_equal(
        reps.select_representatives(X), np.argmin(km.transform(X), axis=0)
    )
    assert not hasattr(reps, "clusterer_")  # select_representatives does not fit


def test_clusters_without_labels_stay_unlabelled(blobs):
    X, y_true = blobs
    y = one_label_per_blob(y_true)
    y[y == 2] = -1  # blob 2 gets no label at all
    clf = ClusterPropagationClassifier(
        n_clusters=3, propagation="cluster", random_state=0
    ).fit(X, y)
    blob2 = y_true == 2
    assert np.all(clf.transduction_[blob2] == -1)
    assert not clf.propagated_mask_[blob2].any()
    assert np.all(clf.label_distributions_[blob2] == 0)
    np.testing.assert_array_equal(clf.transduction_[~blob2], y_true[~blob2])
    np.testing.assert_array_equal(clf.classes_, [0, 1])


def test_conflicting_labels_resolve_by_majority_then_closest():
    X = np.arange(10, dtype=float).reshape(-1, 1)
    one_cluster = FixedClusterer(labels=np.zeros(10, dtype=int))
    # majority: two 7s against one 3
    y = np.array([-1, 7, -1, -1, 3, -1, -1, 7, -1, -1])
    clf = ClusterPropagationClassifier(
        propagation="cluster", clusterer=one_cluster
    ).fit(X, y)
    np.testing.assert_array_equal(clf.transduction_[y == -1], 7)
    np.testing.assert_array_equal(clf.transduction_[y != -1], y[y != -1])  # kept
    np.testing.assert_allclose(clf.label_distributions_[0], [1 / 3, 2 / 3])
    # tie: the label closest to the centre (mean 4.5) wins
    y = np.array([3, -1, -1, -1, -1, 7, -1, -1, -1, -1])
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.transduction_[y == -1], 7)


def test_graph_mode_drops_labels_its_neighbours_contradict():
    rng = np.random.RandomState(0)
    A = rng.normal(0, 0.3, size=(20, 2))
    B = rng.normal(5, 0.3, size=(20, 2))
    intruders = np.array([[5.0, 5.1], [4.9, 5.0]])  # inside B, clustered with A
    X = np.vstack([A, B, intruders])
    clusters = np.r_[np.zeros(20, int), np.ones(20, int), 0, 0]
    y = np.full(42, -1)
    y[0], y[20] = 0, 1
    # the intruders' 5 neighbours: 4 of B and each other, agreement 0.2; the B points
    # next to them have 2 intruders among 5 neighbours, agreement 0.6, kept at 0.5
    params = {
        "clusterer": FixedClusterer(labels=clusters),
        "n_neighbors": 5,
        "agreement": 0.5,
    }
    cluster = ClusterPropagationClassifier(propagation="cluster", **params).fit(X, y)
    graph = ClusterPropagationClassifier(propagation="graph", **params).fit(X, y)
    np.testing.assert_array_equal(cluster.transduction_[40:], [0, 0])
    np.testing.assert_array_equal(graph.transduction_[40:], [-1, -1])
    np.testing.assert_array_equal(graph.transduction_[:40], cluster.transduction_[:40])
    # spreading over the same neighbour graph gives the intruders B's label: the
    # cluster vote got them wrong, the graph check left them unlabelled
    spreading = ClusterPropagationClassifier(propagation="spreading", **params)
    spreading.fit(X, y)
    np.testing.assert_array_equal(spreading.transduction_[40:], [1, 1])
    np.testing.assert_array_equal(
        spreading.transduction_[:40], graph.transduction_[:40]
    )
    assert spreading.propagated_mask_[40:].all()
    np.testing.assert_array_equal(spreading.label_distributions_[40:].argmax(1), [1, 1])
    np.testing.assert_allclose(spreading.label_distributions_.sum(axis=1), 1.0)


def test_consensus_drops_cluster_votes_that_label_spreading_contradicts():
    # A chain of class-1 points runs from blob B towards blob A and is clustered
    # with A. Its points' neighbours are each other, so the neighbour check keeps
    # A's vote and "spreading" trains on 7-8 wrong labels; label spreading from
    # the two given labels follows the chain from B and disagrees, so the default
    # ("consensus") leaves those points out and predicts the chain right.
    rng = np.random.RandomState(0)
    A = rng.normal(0, 0.3, size=(20, 2))
    B = rng.normal(5, 0.3, size=(20, 2))
    t = np.linspace(4.2, 3.0, 9)
    X = np.vstack([A, B, np.c_[t, t]])
    truth = np.r_[np.zeros(20, int), np.ones(29, int)]
    clusters = np.r_[np.zeros(20, int), np.ones(20, int), np.zeros(9, int)]
    y = np.full(49, -1)
    y[0], y[20] = 0, 1
    params = {
        "clusterer": FixedClusterer(labels=clusters),
        "n_neighbors": 8,
        "random_state": 0,
    }
    chain = [[3.6, 3.6], [3.2, 3.2]]
    old = ClusterPropagationClassifier(propagation="spreading", **params).fit(X, y)
    new = ClusterPropagationClassifier(**params).fit(X, y)
    assert new.propagation == "consensus"
    has = old.transduction_ != -1
    assert has.all() and (old.transduction_[has] != truth[has]).sum() >= 7
    np.testing.assert_array_equal(old.predict(chain), [0, 0])
    has = new.transduction_ != -1
    np.testing.assert_array_equal(new.transduction_[has], truth[has])
    assert has[:40].all() and has.sum() >= 41
    np.testing.assert_array_equal(new.propagated_mask_, has & (y == -1))
    np.testing.assert_array_equal(new.label_distributions_[~has], 0.0)
    np.testing.assert_array_equal(new.predict(chain), [1, 1])
    np.testing.assert_array_equal(new.predict([[0.0, 0.0], [5.0, 5.0]]), [0, 1])


def test_default_separates_moons_that_the_book_setup_cannot():
    # six KMeans clusters over two moons, their representatives labelled: the
    # previous default (20% percentile propagation, LogisticRegression) draws a
    # line; the default (graph check, spreading, consensus with label spreading,
    # calibrated SVC) labels every training sample right and separates new moons
    # perfectly
    X, y_true = make_moons(200, noise=0.05, random_state=0)
    X_new, y_new = make_moons(200, noise=0.05, random_state=1)
    new = ClusterPropagationClassifier(n_clusters=6, random_state=0)
    reps = new.select_representatives(X)
    y = np.full(200, -1)
    y[reps] = y_true[reps]
    new.fit(X, y)
    old = ClusterPropagationClassifier(
        LogisticRegression(max_iter=1000),
        n_clusters=6,
        propagation="percentile",
        random_state=0,
    ).fit(X, y)
    graph = ClusterPropagationClassifier(
        n_clusters=6, propagation="graph", random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(new.transduction_, y_true)
    # the neighbour check drops a few border samples; the default labels them
    assert 1 <= (graph.transduction_ == -1).sum() <= 5
    assert new.score(X_new, y_new) == 1.0
    assert old.score(X_new, y_new) < 0.9
    assert new.predict_proba(X_new).shape == (200, 2)


def test_default_estimator_falls_back_for_a_single_label_class():
    X = np.array([[0.0], [0.1], [0.2], [5.0], [5.1]])
    y = np.array([0, -1, 0, 1, -1])
    clf = ClusterPropagationClassifier(
        n_clusters=2, propagation="none", random_state=0
    ).fit(X, y)
    assert isinstance(clf.estimator_, LogisticRegression)
    clf.set_params(propagation="cluster").fit(X, y)
    assert isinstance(clf.estimator_, CalibratedClassifierCV)
    assert clf.estimator_.cv == 2


def test_fitting_never_imports_tensorflow():
    code = (
        "import sys, numpy as np;"
        "from skdeep.semi_supervised import ClusterPropagationClassifier as C;"
        "X = np.random.RandomState(0).normal(size=(40, 2));"
        "y = np.full(40, -1); y[:4] = [0, 1, 0, 1];"
        "C(n_clusters=4, random_state=0).fit(X, y).predict_proba(X);"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules;"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_propagation_none_trains_on_given_labels_only(blobs):
    X, y_true = blobs
    y = one_label_per_blob(y_true)
    clf = ClusterPropagationClassifier(
        n_clusters=3, propagation="none", random_state=0
    ).fit(X, y)
    assert not clf.propagated_mask_.any()
    np.testing.assert_array_equal(clf.transduction_, y)


def test_dbscan_noise_is_never_propagated():
    X = np.r_[np.arange(10) * 0.1, 50.0].reshape(-1, 1)
    y = np.r_[0, np.full(10, -1)]
    clf = ClusterPropagationClassifier(
        propagation="cluster", clusterer=DBSCAN(eps=0.5, min_samples=2)
    )
    # one class only: the default LogisticRegression refuses it, as it should
    with pytest.raises(ValueError, match="class"):
        clf.fit(X, y)
    y[10] = 1  # label the noise point itself: still not propagated anywhere
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.transduction_[:10], 0)
    assert clf.cluster_labels_[10] == -1


def test_string_labels_with_object_marker(blobs):
    X, y_true = blobs
    names = np.array(["ant", "bee", "cat"], dtype=object)[y_true]
    y = names.copy()
    y[one_label_per_blob(y_true) == -1] = -1
    before = y.copy()
    clf = ClusterPropagationClassifier(
        n_clusters=3, propagation="cluster", random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(y, before)  # caller's array untouched
    np.testing.assert_array_equal(clf.classes_, ["ant", "bee", "cat"])
    np.testing.assert_array_equal(clf.transduction_, names)
    np.testing.assert_array_equal(clf.predict(X), names)


def test_string_minus_one_is_rejected(blobs):
    X, y_true = blobs
    y = np.array(["a", "b", "c"], dtype="U2")[y_true]
    y[5] = "-1"  # a marker that lost its type
    with pytest.raises(ValueError, match="contains the string '-1'"):
        ClusterPropagationClassifier(n_clusters=3).fit(X, y)


def test_custom_marker_lets_minus_one_be_a_class(blobs):
    X, y_true = blobs
    y = (y_true - 1).astype(object)  # classes -1, 0, 1
    y[one_label_per_blob(y_true) == -1] = "?"
    clf = ClusterPropagationClassifier(
        n_clusters=3, propagation="cluster", unlabelled_label="?", random_state=0
    ).fit(X, y)
    np.testing.assert_array_equal(clf.classes_, [-1, 0, 1])
    np.testing.assert_array_equal(clf.predict(X), y_true - 1)


def test_no_labelled_sample_is_an_error(blobs):
    X, _ = blobs
    with pytest.raises(ValueError, match="no labeled samples"):
        ClusterPropagationClassifier(n_clusters=3).fit(X, np.full(60, -1))


def test_no_unlabelled_sample_warns(blobs):
    X, y_true = blobs
    with pytest.warns(UserWarning, match="no unlabeled samples"):
        clf = ClusterPropagationClassifier(n_clusters=3, random_state=0).fit(X, y_true)
    assert not clf.propagated_mask_.any()


def test_too_many_clusters_are_clipped_with_a_warning(blobs):
    X, y_true = blobs
    y = one_label_per_blob(y_true)
    with pytest.warns(UserWarning, match="n_clusters=80 is larger than n_samples=60"):
        clf = ClusterPropagationClassifier(
            n_clusters=80, propagation="cluster", random_state=0
        ).fit(X, y)
    assert clf.n_clusters_ == 60
    assert not clf.propagated_mask_.any()


def test_inputs_are_not_mutated(blobs):
    X, y_true = blobs
    y = one_label_per_blob(y_true)
    X0, y0 = X.copy(), y.copy()
    ClusterPropagationClassifier(n_clusters=3, random_state=0).fit(X, y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_delegation_follows_the_estimator(blobs):
    X, y_true = blobs
    clf = ClusterPropagationClassifier(LinearSVC(), n_clusters=3, random_state=0)
    assert not hasattr(clf, "predict_proba")
    assert not hasattr(clf, "query")
    clf.fit(X, one_label_per_blob(y_true))
    assert clf.decision_function(X).shape == (60, 3)
    default = ClusterPropagationClassifier(n_clusters=3, random_state=0)
    assert hasattr(default, "predict_proba") and hasattr(default, "query")


def test_score_ignores_unlabelled_rows(blobs):
    X, y_true = blobs
    clf = ClusterPropagationClassifier(n_clusters=3, random_state=0)
    clf.fit(X, one_label_per_blob(y_true))
    y_eval = y_true.copy()
    y_eval[::2] = -1
    assert clf.score(X, y_eval) == 1.0
    # the trap: a plain metric counts every -1 row as a mistake
    assert accuracy_score(y_eval, clf.predict(X)) == 0.5


class RowPredictor(ClassifierMixin, BaseEstimator):
    """Predicts column 0 of X: lets a test choose every prediction."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.asarray(X)[:, 0].astype(int)


def test_labelled_scorer_scores_labelled_rows_only():
    y_eval = np.array([-1, 0, 1, -1, 1, 2, -1])
    pred = np.array([5, 0, 1, 5, 0, 2, 5])  # one mistake among 4 labelled rows
    X = pred.reshape(-1, 1)
    model = RowPredictor().fit(X, pred)
    scorer = labelled_scorer(make_scorer(accuracy_score))
    assert scorer(model, X, y_eval) == pytest.approx(3 / 4)
    assert labelled_scorer("accuracy")(model, X, y_eval) == 0.75
    # a plain scorer counts the three -1 rows as mistakes too
    assert make_scorer(accuracy_score)(model, X, y_eval) == pytest.approx(3 / 7)
    with pytest.warns(UserWarning, match="No labeled sample"):
        assert np.isnan(scorer(model, X, np.full(7, -1)))


def test_labelled_kfold_tests_on_labelled_rows_and_trains_on_all_unlabelled():
    y = np.array([0, -1, 1, -1, 0, 1, -1, 0, 1, 2, 2, 2])
    cv = LabelledKFold(n_splits=3)
    unlabelled = np.flatnonzero(y == -1)
    seen = []
    for train, test in cv.split(np.zeros((12, 1)), y):
        assert np.all(y[test] != -1)
        assert np.isin(unlabelled, train).all()
        assert np.intersect1d(train, test).size == 0
        seen.extend(test)
    np.testing.assert_array_equal(np.sort(seen), np.flatnonzero(y != -1))
    assert cv.get_n_splits() == 3
    with pytest.raises(ValueError, match="n_splits=3 greater than the number"):
        next(cv.split(np.zeros((4, 1)), [0, -1, 1, -1]))


def test_grid_search_over_n_clusters_and_percentile(blobs):
    X, y_true = blobs
    y = np.full(60, -1)
    y[np.flatnonzero(y_true == 0)[:4]] = 0
    y[np.flatnonzero(y_true == 1)[:4]] = 1
    y[np.flatnonzero(y_true == 2)[:4]] = 2
    search = GridSearchCV(
        ClusterPropagationClassifier(random_state=0),
        {"n_clusters": [3, 6], "percentile": [20, 100]},
        cv=LabelledKFold(n_splits=3),
        scoring=labelled_scorer("accuracy"),
    ).fit(X, y)
    # every test fold is labelled and the blobs are separable: perfect scores
    np.testing.assert_allclose(search.cv_results_["mean_test_score"], 1.0)
    # with the default splitter, the estimator's score still ignores -1 rows
    scores = cross_val_score(ClusterPropagationClassifier(n_clusters=3), X, y, cv=3)
    np.testing.assert_allclose(scores, 1.0)
    plain = cross_val_score(
        ClusterPropagationClassifier(n_clusters=3), X, y, cv=3, scoring="accuracy"
    )
    assert plain.max() < 0.5  # the trap of sklearn issues #2593 / #6574


def test_sparse_input_matches_dense(blobs):
    from scipy import sparse

    X, y_true = blobs
    y = one_label_per_blob(y_true)
    dense = ClusterPropagationClassifier(n_clusters=3, random_state=0).fit(X, y)
    sp = ClusterPropagationClassifier(n_clusters=3, random_state=0)
    sp.fit(sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(dense.transduction_, sp.transduction_)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"propagation": "nope"}, "propagation"),
        ({"percentile": 0}, "percentile"),
        ({"n_clusters": 0}, "n_clusters"),
        ({"agreement": 1.5}, "agreement"),
    ],
)
def test_bad_parameters_raise(blobs, params, match):
    X, y_true = blobs
    with pytest.raises(ValueError, match=match):
        ClusterPropagationClassifier(**params).fit(X, y_true)
