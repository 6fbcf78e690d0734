"""Known-answer tests for the active-learning query helpers and loop."""

import numpy as np
import pytest
from sklearn.datasets import make_blobs

from skdeep.semi_supervised import (
    ClusterPropagationClassifier,
    active_learning_loop,
    query_indices,
    uncertainty_scores,
)

PROBA = np.array(
    [
        [0.90, 0.05, 0.05],  # sure
        [0.50, 0.45, 0.05],  # close call between two classes
        [0.40, 0.30, 0.30],  # least confident, spread out
        [0.34, 0.33, 0.33],  # nearly uniform
    ]
)


def test_uncertainty_scores_known_values():
    np.testing.assert_allclose(
        uncertainty_scores(PROBA, "uncertainty"), [0.10, 0.50, 0.60, 0.66]
    )
    np.testing.assert_allclose(
        uncertainty_scores(PROBA, "margin"), [-0.85, -0.05, -0.10, -0.01]
    )
    entropy = -(PROBA * np.log(PROBA)).sum(axis=1)
    np.testing.assert_allclose(uncertainty_scores(PROBA, "entropy"), entropy)
    # zero probabilities contribute nothing to the entropy
    np.testing.assert_allclose(uncertainty_scores([[1.0, 0.0]], "entropy"), [0.0])


@pytest.mark.parametrize(
    "strategy, expected",
    [("uncertainty", [3, 2]), ("margin", [3, 1]), ("entropy", [3, 2])],
)
def test_query_indices_ranks_by_strategy(strategy, expected):
    np.testing.assert_array_equal(query_indices(PROBA, 2, strategy), expected)


def test_margin_differs_from_least_confidence():
    # row 1 is a near tie between two classes: margin asks it before row 2
    assert query_indices(PROBA[:3], 1, "margin")[0] == 1
    assert query_indices(PROBA[:3], 1, "uncertainty")[0] == 2


def test_query_indices_diverse_takes_one_per_group():
    groups = [0, 1, 1, 1]
    np.testing.assert_array_equal(query_indices(PROBA, 4, groups=groups), [3, 0])
    np.testing.assert_array_equal(query_indices(PROBA, 10), [3, 2, 1, 0])


def test_query_bad_arguments():
    with pytest.raises(ValueError, match="strategy must be one of"):
        query_indices(PROBA, 1, "random")
    with pytest.raises(ValueError, match="n_instances must be an int >= 1"):
        query_indices(PROBA, 0)
    with pytest.raises(ValueError, match="groups has 2 entries, expected 4"):
        query_indices(PROBA, 1, groups=[0, 1])


@pytest.fixture
def blobs():
    X, y = make_blobs(
        n_samples=120,
        centers=[[0, 0], [4, 0], [0, 4], [4, 4]],
        cluster_std=1.2,
        random_state=0,
    )
    return X, y


def test_estimator_query_returns_least_sure_pool_samples(blobs):
    X, y_true = blobs
    y = np.full(120, -1)
    y[:8] = y_true[:8]
    clf = ClusterPropagationClassifier(n_clusters=8, random_state=0).fit(X, y)
    picked = clf.query(X, 5, strategy="entropy")
    scores = uncertainty_scores(clf.predict_proba(X), "entropy")
    np.testing.assert_array_equal(picked, np.argsort(-scores, kind="stable")[:5])
    # the queried samples are less sure than any of the rest
    assert scores[picked].min() >= np.delete(scores, picked).max()


def test_estimator_query_diverse_at_most_one_per_cluster(blobs):
    X, y_true = blobs
    y = np.full(120, -1)
    y[:8] = y_true[:8]
    clf = ClusterPropagationClassifier(n_clusters=8, random_state=0).fit(X, y)
    picked = clf.query(X, 20, diverse=True)
    clusters = clf.clusterer_.predict(X[picked])
    assert len(picked) == 8  # only 8 clusters, so at most 8 queries
    assert len(np.unique(clusters)) == len(picked)
    plain = clf.query(X, 8)
    assert len(np.unique(clf.clusterer_.predict(X[plain]))) < 8


def test_active_learning_loop_queries_only_unlabelled_and_copies_y(blobs):
    X, y_true = blobs
    y = np.full(120, -1)
    y[:4] = y_true[:4]
    y_before = y.copy()
    asked = []

    def oracle(indices):
        asked.append(np.asarray(indices))
        return y_true[indices]

    clf = ClusterPropagationClassifier(n_clusters=8, random_state=0)
    model, y_new, history = active_learning_loop(
        clf, X, y, oracle, n_rounds=3, n_instances=5, eval_set=(X, y_true)
    )
    np.testing.assert_array_equal(y, y_before)  # caller's labels untouched
    all_asked = np.concatenate(asked)
    assert len(np.unique(all_asked)) == 15  # never asked twice
    assert np.all(y_before[all_asked] == -1)  # only unlabelled samples asked
    np.testing.assert_array_equal(y_new[all_asked], y_true[all_asked])
    assert [h["n_labelled"] for h in history] == [4, 9, 14]
    assert (y_new != -1).sum() == 19
    assert all(0.0 <= h["score"] <= 1.0 for h in history)
    np.testing.assert_array_equal(model.classes_, [0, 1, 2, 3])
    assert model.score(X, y_true) >= history[0]["score"]


def test_active_learning_loop_stops_when_everything_is_labelled():
    X = np.array([[0.0], [0.1], [5.0], [5.1]])
    y = np.array([0, -1, 1, -1])
    clf = ClusterPropagationClassifier(n_clusters=2, random_state=0)
    truth = np.array([0, 0, 1, 1])
    with pytest.warns(UserWarning, match="no unlabeled samples"):
        _, y_new, history = active_learning_loop(
            clf, X, y, lambda i: truth[i], n_rounds=5, n_instances=5
        )
    np.testing.assert_array_equal(y_new, truth)
    assert len(history) == 2 and history[-1]["queried"].size == 0


def test_active_learning_loop_with_string_labels(blobs):
    X, y_true = blobs
    names = np.array(["n", "e", "s", "w"], dtype=object)[y_true]
    y = np.full(120, -1, dtype=object)
    y[:8] = names[:8]
    clf = ClusterPropagationClassifier(n_clusters=8, random_state=0)
    model, y_new, _ = active_learning_loop(
        clf, X, y, lambda i: names[i], n_rounds=1, n_instances=3, diverse=True
    )
    assert (y_new != -1).sum() == 11
    assert set(model.classes_) == {"n", "e", "s", "w"}


def test_active_learning_loop_checks_the_oracle(blobs):
    X, y_true = blobs
    y = np.full(120, -1)
    y[:8] = y_true[:8]
    clf = ClusterPropagationClassifier(n_clusters=8, random_state=0)
    with pytest.raises(TypeError, match="oracle must be callable"):
        active_learning_loop(clf, X, y, y_true)
    with pytest.raises(ValueError, match="oracle returned 1 labels for 3 indices"):
        active_learning_loop(clf, X, y, lambda i: [0], n_instances=3)
