"""Tests of DBSCANPredictor: DBSCAN clustering that labels new samples."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import sparse
from scipy.spatial.distance import cdist
from sklearn import config_context
from sklearn.base import clone
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score, pairwise_distances, silhouette_score
from sklearn.model_selection import GridSearchCV, KFold

import skdeep
from skdeep.cluster import DBSCANPredictor

BOOK_NEW = np.array([[-0.5, 0], [0, 0.5], [1, -0.1], [2, 1]])


@pytest.fixture(scope="module")
def moons():
    return make_moons(n_samples=1000, noise=0.05, random_state=42)[0]


@pytest.fixture(scope="module")
def blobs_with_noise():
    """Three well separated blobs and 60 uniform noise samples; noise is -1."""
    rng = np.random.RandomState(0)
    centers = [[-5, -5], [0, 5], [5, -3]]
    X_blobs, y_blobs = make_blobs(
        n_samples=600, centers=centers, cluster_std=0.6, random_state=0
    )
    X_noise = rng.uniform(-10, 10, size=(60, 2))
    X = np.vstack([X_blobs, X_noise])
    y = np.r_[y_blobs, np.full(60, -1)]
    order = rng.permutation(len(X))
    return X[order], y[order], np.array(centers, dtype=float)


# Géron, Hands-On ML, chapter 9: the book's example with its exact outputs.
def test_book_moons_example(moons):
    model = DBSCANPredictor(eps=0.2, min_samples=5, n_neighbors=50, max_distance=None)
    model.fit(moons)
    assert_array_equal(model.classes_, [0, 1])
    assert_array_equal(model.predict(BOOK_NEW), [1, 0, 1, 0])
    assert_allclose(
        model.predict_proba(BOOK_NEW),
        [[0.18, 0.82], [1, 0], [0.12, 0.88], [1, 0]],
        rtol=0,
        atol=1e-12,
    )
    model.set_params(max_distance=0.2)
    assert_array_equal(model.predict(BOOK_NEW), [-1, 0, 1, -1])


def test_fit_matches_dbscan(moons):
    model = DBSCANPredictor(eps=0.2, min_samples=5).fit(moons)
    reference = DBSCAN(eps=0.2, min_samples=5).fit(moons)
    assert_array_equal(model.labels_, reference.labels_)
    assert_array_equal(model.core_sample_indices_, reference.core_sample_indices_)
    assert_array_equal(model.components_, reference.components_)
    assert_array_equal(model.dbscan_.labels_, reference.labels_)
    assert_array_equal(clone(model).fit_predict(moons), model.labels_)
    assert model.knn_.n_samples_fit_ == len(reference.core_sample_indices_)


def test_blobs_near_samples_get_blob_label_far_ones_noise(blobs_with_noise):
    X, y, centers = blobs_with_noise
    model = DBSCANPredictor(eps=0.6).fit(X)
    assert len(model.classes_) == 3
    rng = np.random.RandomState(1)
    near = centers + rng.uniform(-0.3, 0.3, size=centers.shape)
    far = np.array([[30.0, 30.0], [-40.0, 0.0], [0.0, 50.0]])
    # The cluster of each blob is the label DBSCAN gave most of its samples.
    blob_label = [
        np.bincount(model.labels_[y == b][model.labels_[y == b] >= 0]).argmax()
        for b in range(3)
    ]
    assert_array_equal(model.predict(near), blob_label)
    assert_array_equal(model.predict(far), [-1, -1, -1])
    # Without the distance rule far samples get their neighbours' cluster.
    assert np.all(model.set_params(max_distance=None).predict(far) >= 0)


def _line():
    """1-D toy data: one cluster on [0, 0.4] and a noise sample at 5.

    With eps=0.15 and min_samples=3 the core samples are 0.1, 0.2 and 0.3; 0 and
    0.4 are border samples; 5 is noise.
    """
    return np.array([[0.0], [0.1], [0.2], [0.3], [0.4], [5.0]])


def test_line_fixture_is_as_described():
    model = DBSCANPredictor(eps=0.15, min_samples=3).fit(_line())
    assert_array_equal(model.core_sample_indices_, [1, 2, 3])
    assert_array_equal(model.labels_, [0, 0, 0, 0, 0, -1])


@pytest.mark.parametrize(
    "train_on, train_indices, pred_near_border",
    [
        ("core", [1, 2, 3], -1),
        ("clustered", [0, 1, 2, 3, 4], 0),
        ("all", [0, 1, 2, 3, 4, 5], 0),
    ],
)
def test_train_on_modes(train_on, train_indices, pred_near_border):
    X = _line()
    model = DBSCANPredictor(eps=0.15, min_samples=3, train_on=train_on).fit(X)
    assert_array_equal(model.train_indices_, train_indices)
    assert_array_equal(model.knn_._fit_X, X[train_indices])
    # 0.5 is 0.2 from the nearest core sample and 0.1 from the border sample 0.4:
    # beyond eps unless the border samples are trained on.
    assert_array_equal(model.predict([[0.5]]), [pred_near_border])
    assert_allclose(
        model.score_samples([[0.5]]), [-0.2 if train_on == "core" else -0.1]
    )


def test_train_on_all_lets_noise_neighbours_vote_noise():
    X = _line()
    query = [[5.05]]
    params = dict(eps=0.15, min_samples=3, n_neighbors=1, max_distance=None)
    assert_array_equal(DBSCANPredictor(**params).fit(X).predict(query), [0])
    model = DBSCANPredictor(train_on="all", **params).fit(X)
    assert_array_equal(model.predict(query), [-1])
    # predict_proba has no noise column: the noise share is missing from the row.
    assert_allclose(model.predict_proba(query), [[0.0]])
    model.set_params(n_neighbors=2).fit(X)
    assert_allclose(model.predict_proba(query), [[0.5]])
    # Ties go to the cluster, not to noise.
    assert_array_equal(model.predict(query), [0])


@pytest.mark.parametrize("train_on", ["core", "clustered"])
@pytest.mark.parametrize("weights", ["uniform", "distance"])
def test_predict_proba_rows_sum_to_one(blobs_with_noise, train_on, weights):
    X, _, _ = blobs_with_noise
    model = DBSCANPredictor(eps=0.6, train_on=train_on, weights=weights).fit(X)
    X_new = np.random.RandomState(2).uniform(-12, 12, size=(500, 2))
    proba = model.predict_proba(X_new)
    assert proba.shape == (500, len(model.classes_))
    assert_allclose(proba.sum(axis=1), 1.0)
    assert np.all(proba >= 0)
    # predict is the vote's winner wherever the sample is within max_distance.
    pred = model.predict(X_new)
    near = -model.score_samples(X_new) <= model.eps
    assert 0 < near.sum() < 500
    assert_array_equal(pred[near], model.classes_[proba[near].argmax(axis=1)])
    assert np.all(pred[~near] == -1)


def test_score_samples_is_minus_distance_to_nearest_training_sample(blobs_with_noise):
    X, _, _ = blobs_with_noise
    model = DBSCANPredictor(eps=0.6, train_on="clustered").fit(X)
    X_new = np.random.RandomState(3).uniform(-12, 12, size=(200, 2))
    expected = -cdist(X_new, X[model.labels_ >= 0]).min(axis=1)
    assert_allclose(model.score_samples(X_new), expected)
    model.set_params(max_distance=1.5)
    assert_array_equal(model.predict(X_new) == -1, expected < -1.5)


def test_distance_weights_exact_match_takes_its_label(moons):
    model = DBSCANPredictor(eps=0.2, n_neighbors=50, weights="distance").fit(moons)
    core = model.components_[:10]
    assert_array_equal(
        model.predict(core), model.labels_[model.core_sample_indices_[:10]]
    )
    assert_allclose(model.predict_proba(core).max(axis=1), 1.0)


def test_n_neighbors_capped_at_training_size():
    X = _line()
    model = DBSCANPredictor(eps=0.15, min_samples=3, n_neighbors=100).fit(X)
    assert model.knn_.n_neighbors == 3
    assert model.n_neighbors == 100
    assert_array_equal(model.predict([[0.2]]), [0])


def test_predict_in_small_batches_gives_same_results(moons):
    model = DBSCANPredictor(eps=0.2, n_neighbors=20, max_distance=0.1).fit(moons)
    X_new = np.random.RandomState(4).uniform(-1.5, 2.5, size=(3000, 2))
    expected = model.predict(X_new), model.predict_proba(X_new)
    # 0.05 MiB holds the votes of 81 samples at k=20: 38 batches.
    with config_context(working_memory=0.05):
        assert len(list(model._votes(X_new))) == 38
        assert_array_equal(model.predict(X_new), expected[0])
        assert_allclose(model.predict_proba(X_new), expected[1])


def test_score_with_y_is_adjusted_rand_index(blobs_with_noise):
    X, y, _ = blobs_with_noise
    model = DBSCANPredictor(eps=0.6).fit(X)
    assert model.score(X, y) == pytest.approx(adjusted_rand_score(y, model.predict(X)))
    assert model.score(X, y) > 0.9


def test_score_without_y_is_silhouette_of_clustered_samples(blobs_with_noise):
    X, _, _ = blobs_with_noise
    model = DBSCANPredictor(eps=0.6).fit(X)
    pred = model.predict(X)
    assert np.any(pred == -1)
    expected = silhouette_score(X[pred >= 0], pred[pred >= 0])
    assert model.score(X) == pytest.approx(expected)


def test_score_without_y_degenerate_cases_are_worst():
    X = _line()
    model = DBSCANPredictor(eps=0.15, min_samples=3).fit(X)
    # One predicted cluster: silhouette undefined.
    assert model.score(X) == -1.0
    two = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    model = DBSCANPredictor(eps=0.15, min_samples=2).fit(two)
    assert model.score(two) > 0.9
    # One sample per predicted cluster: undefined too.
    assert model.score([[0.0], [10.0]]) == -1.0
    # Everything predicted noise.
    assert model.score([[50.0], [60.0], [70.0]]) == -1.0


def test_grid_search_tunes_eps_without_labels(blobs_with_noise):
    X, y, _ = blobs_with_noise
    grid = {"eps": [0.05, 0.1, 0.3, 0.6, 1.0, 2.0, 5.0]}
    search = GridSearchCV(
        DBSCANPredictor(), grid, cv=KFold(3, shuffle=True, random_state=0)
    )
    with pytest.warns(UserWarning, match="no cluster"):
        search.fit(X)
    scores = dict(zip(grid["eps"], search.cv_results_["mean_test_score"]))
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    # Too small an eps finds no cluster, too large one cluster: both worst.
    assert scores[0.05] == -1.0
    assert scores[5.0] == -1.0
    assert search.best_params_["eps"] in (0.6, 1.0)
    assert adjusted_rand_score(y, search.best_estimator_.labels_) > 0.95


@pytest.mark.parametrize("train_on", ["core", "clustered", "all"])
def test_all_noise_fit_warns_and_predicts_noise(train_on):
    X = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])
    model = DBSCANPredictor(eps=1.0, min_samples=2, train_on=train_on)
    with pytest.warns(UserWarning, match="DBSCAN found no cluster: all 4 samples"):
        labels = model.fit_predict(X)
    assert_array_equal(labels, [-1, -1, -1, -1])
    assert model.classes_.shape == (0,)
    X_new = np.array([[0.1, 0.0], [5.0, 5.0]])
    assert_array_equal(model.predict(X_new), [-1, -1])
    assert model.predict_proba(X_new).shape == (2, 0)
    assert model.score(X_new) == -1.0
    scores = model.score_samples(X_new)
    if train_on == "all":
        assert_allclose(scores, [-0.1, -np.sqrt(50)])
    else:
        assert model.knn_ is None
        assert_array_equal(scores, [-np.inf, -np.inf])


def test_precomputed_matches_features(blobs_with_noise):
    X, _, _ = blobs_with_noise
    X_new = np.random.RandomState(5).uniform(-12, 12, size=(100, 2))
    for train_on in ["core", "clustered", "all"]:
        params = dict(eps=0.6, train_on=train_on, n_neighbors=7)
        features = DBSCANPredictor(**params).fit(X)
        distances = DBSCANPredictor(metric="precomputed", **params)
        distances.fit(pairwise_distances(X))
        D_new = pairwise_distances(X_new, X)
        assert_array_equal(distances.labels_, features.labels_)
        assert_array_equal(distances.predict(D_new), features.predict(X_new))
        assert_allclose(distances.predict_proba(D_new), features.predict_proba(X_new))
        assert_allclose(distances.score_samples(D_new), features.score_samples(X_new))
    with pytest.raises(ValueError, match="needs feature vectors"):
        distances.score(D_new)


def test_other_metric_is_used_throughout(moons):
    model = DBSCANPredictor(eps=0.25, metric="manhattan").fit(moons)
    reference = DBSCAN(eps=0.25, metric="manhattan").fit(moons)
    assert_array_equal(model.labels_, reference.labels_)
    X_new = np.random.RandomState(6).uniform(-1.5, 2.5, size=(50, 2))
    expected = -cdist(X_new, model.components_, metric="cityblock").min(axis=1)
    assert_allclose(model.score_samples(X_new), expected)


def test_does_not_mutate_inputs(moons):
    X = moons.copy()
    X_new = BOOK_NEW.copy()
    model = DBSCANPredictor(eps=0.2).fit(X)
    for method in ["predict", "predict_proba", "score_samples", "score"]:
        getattr(model, method)(X_new)
    assert_array_equal(X, moons)
    assert_array_equal(X_new, BOOK_NEW)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"train_on": "noise"}, "'train_on' parameter"),
        ({"max_distance": -1.0}, "'max_distance' parameter"),
        ({"max_distance": "min_samples"}, "'max_distance' parameter"),
        ({"n_neighbors": 0}, "'n_neighbors' parameter"),
        ({"weights": "inverse"}, "'weights' parameter"),
        ({"eps": 0.0}, "'eps' parameter"),
    ],
)
def test_invalid_parameters(params, match, moons):
    with pytest.raises(ValueError, match=match):
        DBSCANPredictor(**params).fit(moons)


def test_bad_input_errors(moons):
    model = DBSCANPredictor(eps=0.2).fit(moons)
    with pytest.raises(ValueError, match="expecting 2 features"):
        model.predict(np.zeros((3, 3)))
    with pytest.raises(TypeError, match="Sparse data was passed"):
        DBSCANPredictor().fit(sparse.csr_matrix(moons))
    with pytest.raises(ValueError, match="NaN"):
        model.predict([[np.nan, 0.0]])


def test_top_level_lazy_name():
    assert skdeep.DBSCANPredictor is DBSCANPredictor


# DBSCAN keeps every eps-neighbourhood at once (O(n**2) at large eps). The
# predictor must not add to that peak: measure each in a fresh process.
_MEMORY_PROBE = textwrap.dedent(
    """
    import sys
    from sklearn.cluster import DBSCAN
    from sklearn.datasets import make_blobs
    from skdeep.cluster import DBSCANPredictor

    def peak_kib():
        # VmHWM is this process's own peak RSS; ru_maxrss would also count the
        # parent's size at fork, which survives exec on Linux
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])

    X, _ = make_blobs(n_samples=20000, centers=4, cluster_std=1.0, random_state=0)
    before = peak_kib()
    if sys.argv[1] == "dbscan":
        DBSCAN(eps=1.0).fit(X)
    else:
        DBSCANPredictor(eps=1.0).fit(X).predict(X)
    print((peak_kib() - before) / 1024)  # MiB
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc/self/status")
def test_memory_on_20k_points_no_worse_than_dbscan():
    root = Path(skdeep.__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root), *sys.path])}

    def peak_mib(which):
        out = subprocess.run(
            [sys.executable, "-c", _MEMORY_PROBE, which],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        return float(out.stdout.strip().splitlines()[-1])

    dbscan_mib = peak_mib("dbscan")
    predictor_mib = peak_mib("predictor")
    # At eps=1.0 the neighbourhoods take about 300 MiB: the probe measures them.
    assert dbscan_mib > 100
    assert predictor_mib <= 1.1 * dbscan_mib + 32
    assert predictor_mib < 1024
