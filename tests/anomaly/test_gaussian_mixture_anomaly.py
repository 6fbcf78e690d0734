"""Known-answer tests for GaussianMixtureAnomalyDetector."""

import pickle
import subprocess
import sys

import joblib
import numpy as np
import pytest
from scipy.special import logsumexp
from scipy.stats import chi2
from sklearn.base import clone
from sklearn.datasets import make_blobs
from sklearn.metrics import roc_auc_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import GridSearchCV

from skdeep.anomaly import GaussianMixtureAnomalyDetector

CENTERS = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]
FAR = np.array([[30.0, 30.0], [-20.0, 5.0], [5.0, -20.0], [25.0, -15.0]])


@pytest.fixture(scope="module")
def blobs():
    X, _ = make_blobs(n_samples=300, centers=CENTERS, cluster_std=1.0, random_state=0)
    return X


def test_far_points_are_flagged(blobs):
    X = np.vstack([blobs, FAR])
    n_far = FAR.shape[0]
    det = GaussianMixtureAnomalyDetector(
        n_components="bic",
        n_components_range=range(1, 6),
        contamination=n_far / X.shape[0],
        random_state=0,
    ).fit(X)
    labels = det.predict(X)
    assert labels.dtype.kind == "i"
    assert det.n_components_ == 3
    np.testing.assert_array_equal(labels[-n_far:], -1)
    np.testing.assert_array_equal(labels[:-n_far], 1)
    assert np.all(det.decision_function(FAR) < 0)
    assert np.all(det.predict(np.array(CENTERS)) == 1)
    np.testing.assert_allclose(
        det.decision_function(X), det.score_samples(X) - det.offset_
    )


def test_selection_skips_components_sitting_on_outliers(blobs):
    # The raw BIC prefers extra components that each sit on one or two far
    # points (their density there exists only through reg_covar); selection
    # skips those candidates, and trimming makes the plain BIC agree.
    X = np.vstack([blobs, FAR])
    params = {
        "n_components": "bic",
        "n_components_range": range(1, 6),
        "reg_covar": 1e-6,
        "random_state": 0,
    }
    det = GaussianMixtureAnomalyDetector(**params).fit(X)
    assert np.argmin(det.criterion_values_) == 4
    assert det.n_components_ == 3
    trimmed = GaussianMixtureAnomalyDetector(
        contamination=0.02, refit_without_outliers=2, **params
    ).fit(X)
    assert trimmed.n_components_ == 3
    assert np.argmin(trimmed.criterion_values_) == 2
    assert not trimmed.support_[-len(FAR) :].any()


def test_default_ensemble_flags_far_points(blobs):
    X = np.vstack([blobs, FAR])
    det = GaussianMixtureAnomalyDetector(
        contamination=len(FAR) / X.shape[0], random_state=0
    ).fit(X)
    labels = det.predict(X)
    np.testing.assert_array_equal(labels[-len(FAR) :], -1)
    np.testing.assert_array_equal(labels[: -len(FAR)], 1)
    # members of 1, 2 and 4 components; the 4-component member spends one
    # component on the far point (30, 30), a point mass that is left out, so the
    # mixture has 1 + 2 + 3 components and none of them sits on a far point.
    np.testing.assert_array_equal(det.n_components_candidates_, [1, 2, 4])
    assert det.n_components_ == 6
    assert det.mixture_.weights_.sum() == pytest.approx(1.0)
    gap = np.linalg.norm(det.mixture_.means_[:, None] - FAR[None], axis=2)
    assert gap.min() > 5
    assert det.criterion_values_ is None


def test_default_flags_far_points_for_any_seed(blobs):
    # A lone outlier that k-means seeding happens to pick gets a component of its
    # own; the ensemble leaves such point masses out, so the answer does not
    # depend on the initialisation (with them, 3 seeds of 20 flagged all of FAR).
    X = np.vstack([blobs, FAR])
    for seed in range(10):
        det = GaussianMixtureAnomalyDetector(
            contamination=len(FAR) / X.shape[0], random_state=seed
        ).fit(X)
        np.testing.assert_array_equal(
            np.flatnonzero(det.predict(X) == -1), np.arange(300, 304)
        )


def test_default_flags_a_clump_of_duplicates_that_bic_calls_normal():
    # Features in [0, 1] (ADBench's scaling) and four identical anomalous rows:
    # the previous default (BIC, reg_covar=1e-6) gives them a component of
    # near-zero variance, hence a density above most normal samples', and flags
    # four normal samples instead. The default ensemble flags exactly them.
    rng = np.random.RandomState(0)
    normal = np.clip(rng.normal(0.5, 0.1, (300, 2)), 0, 1)
    X = np.vstack([normal, np.tile([[0.9, 0.9]], (4, 1))])
    params = {"contamination": 4 / 304, "random_state": 0}
    new = GaussianMixtureAnomalyDetector(**params).fit(X)
    old = GaussianMixtureAnomalyDetector(
        n_components="bic", reg_covar=1e-6, scaling=None, min_weight=0.0, **params
    ).fit(X)
    np.testing.assert_array_equal(np.flatnonzero(new.predict(X) == -1), range(300, 304))
    assert not (old.predict(X)[300:] == -1).any()
    assert np.all(old.score_samples(X[300:]) > np.median(old.score_samples(normal)))


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_ensemble_density_is_the_mean_of_the_member_densities(blobs, covariance_type):
    # features as given and no minimum weight, so the members are plain
    # GaussianMixture fits on the same data
    det = GaussianMixtureAnomalyDetector(
        covariance_type=covariance_type,
        scaling=None,
        reg_covar=1e-3,
        min_weight=0.0,
        random_state=0,
    ).fit(blobs)
    seed = det.mixture_.random_state
    members = [
        GaussianMixture(
            k, covariance_type=covariance_type, reg_covar=1e-3, random_state=seed
        ).fit(blobs)
        for k in (1, 2, 4)
    ]
    expected = logsumexp([m.score_samples(FAR) for m in members], axis=0) - np.log(3)
    np.testing.assert_allclose(det.score_samples(FAR), expected, rtol=1e-10)
    np.testing.assert_allclose(det.mixture_.weights_.sum(), 1.0)
    expected_type = "full" if covariance_type == "tied" else covariance_type
    assert det.mixture_.covariance_type == expected_type
    # the combined mixture samples, so contamination="auto" works on it
    assert np.isfinite(det.offset_)


def test_ensemble_cross_fitted_threshold(blobs):
    det = GaussianMixtureAnomalyDetector(
        contamination=0.05, cv=3, n_components_range=[1, 3], random_state=0
    ).fit(blobs)
    assert det.n_components_ == 4
    share = np.mean(det.predict(blobs) == -1)
    assert 0.0 < share < 0.15


def test_fitting_never_imports_tensorflow():
    code = (
        "import sys, numpy as np;"
        "from skdeep.anomaly import GaussianMixtureAnomalyDetector as D;"
        "X = np.random.RandomState(0).normal(size=(50, 2));"
        "D(random_state=0).fit(X).predict(X);"
        "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules;"
        "print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "ok", out.stderr


def test_novelty_detection_auto(blobs):
    # Trained on clean blobs, "auto" flags new far points and keeps the centres.
    det = GaussianMixtureAnomalyDetector(n_components=3, random_state=0).fit(blobs)
    np.testing.assert_array_equal(det.predict(FAR), -1)
    np.testing.assert_array_equal(det.predict(np.array(CENTERS)), 1)


@pytest.mark.parametrize("contamination", [0.01, 0.05, 0.1, 0.25, 0.5])
def test_contamination_share_is_exact_on_training_data(blobs, contamination):
    det = GaussianMixtureAnomalyDetector(
        n_components=3, contamination=contamination, random_state=0
    )
    labels = det.fit_predict(blobs)
    assert np.sum(labels == -1) == round(contamination * blobs.shape[0])
    np.testing.assert_array_equal(labels, det.predict(blobs))


def test_auto_matches_chi_square_cutoff_for_one_gaussian():
    # One Gaussian: "auto" is the chi-square(0.975) cut-off on the squared
    # Mahalanobis distance, i.e. a known log-density level.
    rng = np.random.RandomState(0)
    d = 3
    X = rng.normal(size=(2000, d))
    det = GaussianMixtureAnomalyDetector(n_components=1, random_state=0).fit(X)
    cov = det.mixture_.covariances_[0]
    _, logdet = np.linalg.slogdet(cov)
    expected = -0.5 * (d * np.log(2 * np.pi) + logdet + chi2.ppf(0.975, d))
    assert det.offset_ == pytest.approx(expected, abs=0.05)
    new = rng.normal(size=(20000, d))
    assert np.mean(det.predict(new) == -1) == pytest.approx(0.025, abs=0.005)


def test_information_criterion_picks_true_k():
    X, _ = make_blobs(
        n_samples=400,
        centers=[[0, 0], [12, 0], [0, 12], [12, 12]],
        cluster_std=1.0,
        random_state=1,
    )
    det = GaussianMixtureAnomalyDetector(
        n_components="bic", n_components_range=[1, 2, 3, 4, 5, 6], random_state=0
    ).fit(X)
    assert det.n_components_ == 4
    np.testing.assert_array_equal(det.n_components_candidates_, [1, 2, 3, 4, 5, 6])
    assert det.criterion_values_.shape == (6,)
    assert np.argmin(det.criterion_values_) == 3
    # the criteria are those of the data the mixtures were fitted on (scaled)
    X_scaled = det.scaler_.transform(X)
    assert det.criterion_values_[3] == pytest.approx(det.mixture_.bic(X_scaled))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_aic_never_picks_fewer_components_than_bic(seed):
    # AIC's penalty (2 per parameter) is below BIC's (log n per parameter), so on
    # the same fitted candidates it never prefers a smaller mixture. It is not
    # consistent: on these four blobs it picks 5 or 6 components for 3 seeds of
    # 20 (seed 0 among them) -- a split blob gains more likelihood than 2 per
    # parameter -- so only BIC is held to the true count.
    X, _ = make_blobs(
        n_samples=400,
        centers=[[0, 0], [12, 0], [0, 12], [12, 12]],
        cluster_std=1.0,
        random_state=1,
    )
    params = {"n_components_range": [1, 2, 3, 4, 5, 6], "random_state": seed}
    aic = GaussianMixtureAnomalyDetector(n_components="aic", **params).fit(X)
    bic = GaussianMixtureAnomalyDetector(n_components="bic", **params).fit(X)
    assert bic.n_components_ == 4
    assert aic.n_components_ >= bic.n_components_
    best = int(np.argmin(aic.criterion_values_))
    assert aic.n_components_ == aic.n_components_candidates_[best]
    X_scaled = aic.scaler_.transform(X)
    assert aic.criterion_values_[best] == pytest.approx(aic.mixture_.aic(X_scaled))


def test_bayesian_switches_off_unused_components(blobs):
    det = GaussianMixtureAnomalyDetector(
        n_components=8,
        mixture="bayesian",
        weight_concentration_prior=1e-3,
        max_iter=500,
        random_state=0,
    ).fit(blobs)
    weights = np.sort(det.mixture_.weights_)[::-1]
    assert det.n_components_ == 8
    np.testing.assert_allclose(weights[:3], 1 / 3, atol=0.02)
    # Each unused component keeps at most about one sample's worth of weight.
    assert weights[3:].max() < 0.01


@pytest.mark.parametrize("n_components", ["ensemble", "bic"])
def test_bayesian_with_information_criterion_is_an_error(blobs, n_components):
    det = GaussianMixtureAnomalyDetector(n_components=n_components, mixture="bayesian")
    with pytest.raises(ValueError, match="with mixture='bayesian' pass an int"):
        det.fit(blobs)


def test_refit_without_outliers_recovers_clean_covariance():
    rng = np.random.RandomState(0)
    inliers = rng.normal(size=(380, 2))
    outliers = rng.uniform(-15, 15, size=(20, 2))
    outliers += 6 * np.sign(outliers)
    X = np.vstack([inliers, outliers])
    params = {"n_components": 1, "contamination": 0.05, "random_state": 0}
    plain = GaussianMixtureAnomalyDetector(**params).fit(X)
    trimmed = GaussianMixtureAnomalyDetector(refit_without_outliers=3, **params).fit(X)
    assert plain.n_refits_ == 0 and plain.support_.all()
    assert trimmed.n_refits_ >= 1
    assert not trimmed.support_[380:].any()
    # The outliers inflate the single Gaussian; trimming brings it back to ~I.
    assert np.trace(plain.mixture_.covariances_[0]) > 5
    np.testing.assert_allclose(trimmed.mixture_.covariances_[0], np.eye(2), atol=0.25)
    # The training share stays exact after trimming.
    assert np.sum(trimmed.predict(X) == -1) == 20
    np.testing.assert_array_equal(trimmed.predict(outliers), -1)


@pytest.mark.parametrize("independent_features", [False, True])
def test_row_order_does_not_change_the_fit(independent_features):
    # k-means seeding and the cv folds follow the row order; the detector fits on
    # canonically sorted rows (each feature's values sorted with
    # independent_features), so a permutation gives the same mixture, threshold
    # and trimmed set (support_ in the caller's order).
    rng = np.random.RandomState(0)
    X, _ = make_blobs(n_samples=240, centers=4, cluster_std=1.5, random_state=3)
    X = np.vstack([X, rng.uniform(-20, 20, size=(12, 2))])
    order = rng.permutation(X.shape[0])
    params = {
        "contamination": 0.05,
        "refit_without_outliers": 2,
        "cv": 3,
        "independent_features": independent_features,
        "random_state": 0,
    }
    a = GaussianMixtureAnomalyDetector(**params).fit(X)
    b = GaussianMixtureAnomalyDetector(**params).fit(X[order])
    assert a.n_refits_ >= 1 and not a.support_.all()
    np.testing.assert_array_equal(b.support_, a.support_[order])
    np.testing.assert_allclose(b.score_samples(X), a.score_samples(X), rtol=1e-10)
    assert b.offset_ == pytest.approx(a.offset_, rel=1e-10)


def test_cross_fitted_threshold_matches_contamination_on_new_data():
    # In-sample log densities are optimistic, so their quantile flags too many
    # new normal samples; out-of-fold densities fix that.
    rng = np.random.RandomState(0)
    mixing = rng.normal(size=(8, 8))
    X_train = rng.normal(size=(200, 8)) @ mixing
    X_new = rng.normal(size=(20000, 8)) @ mixing
    params = {"n_components": 2, "contamination": 0.05, "random_state": 0}
    in_sample = GaussianMixtureAnomalyDetector(**params).fit(X_train)
    cross_fit = GaussianMixtureAnomalyDetector(cv=5, **params).fit(X_train)
    share_in = np.mean(in_sample.predict(X_new) == -1)
    share_cv = np.mean(cross_fit.predict(X_new) == -1)
    assert share_in > 0.1
    assert abs(share_cv - 0.05) < 0.015
    assert cross_fit.offset_ < in_sample.offset_


def test_cv_needs_float_contamination(blobs):
    with pytest.raises(ValueError, match="needs a float contamination"):
        GaussianMixtureAnomalyDetector(n_components=1, cv=3).fit(blobs)


def test_score_without_and_with_labels(blobs):
    X = np.vstack([blobs, FAR])
    det = GaussianMixtureAnomalyDetector(n_components=3, random_state=0).fit(X)
    log_density = det.score_samples(X)
    assert det.score(X) == pytest.approx(log_density.mean())
    unscaled = GaussianMixtureAnomalyDetector(n_components=3, scaling=None).fit(X)
    assert unscaled.score(X) == pytest.approx(unscaled.mixture_.score(X))
    normal = np.r_[np.ones(len(blobs), dtype=int), -np.ones(len(FAR), dtype=int)]
    expected = log_density[: len(blobs)].mean()
    assert det.score(X, normal) == pytest.approx(expected)
    assert det.score(X, (normal == -1).astype(int)) == pytest.approx(expected)
    assert det.score(X, normal) > det.score(X)
    with pytest.raises(ValueError, match="every sample as an anomaly"):
        det.score(FAR, -np.ones(len(FAR)))
    with pytest.warns(UserWarning, match="score ignores y"):
        assert det.score(X, np.arange(len(X)) % 3) == pytest.approx(det.score(X))


def test_grid_search_without_labels_picks_true_k(blobs):
    search = GridSearchCV(
        GaussianMixtureAnomalyDetector(random_state=0),
        {"n_components": [1, 3]},
        cv=3,
    ).fit(blobs)
    assert search.best_params_ == {"n_components": 3}


def test_persistence_round_trip(blobs, tmp_path):
    det = GaussianMixtureAnomalyDetector(
        n_components="bic", n_components_range=[2, 3, 4], random_state=0
    ).fit(blobs)
    probe = np.vstack([blobs[:20], FAR])
    path = tmp_path / "det.joblib"
    joblib.dump(det, path)
    for restored in (pickle.loads(pickle.dumps(det)), joblib.load(path)):
        np.testing.assert_array_equal(
            restored.score_samples(probe), det.score_samples(probe)
        )
        np.testing.assert_array_equal(restored.predict(probe), det.predict(probe))
        assert restored.offset_ == det.offset_


def test_fit_is_reproducible_and_side_effect_free(blobs):
    X = blobs.copy()
    X_before = X.copy()
    # The legacy global RNG is exactly what must stay untouched.
    global_state = np.random.get_state()[1].copy()  # noqa: NPY002
    det = GaussianMixtureAnomalyDetector(n_components_range=[2, 3], random_state=0)
    first = det.fit(X).score_samples(X)
    second = clone(det).fit(X).score_samples(X)
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(X, X_before)
    after = np.random.get_state()[1]  # noqa: NPY002
    np.testing.assert_array_equal(after, global_state)


@pytest.mark.parametrize("contamination", ["auto", 0.1])
def test_duplicates_and_constant_columns_give_finite_threshold(contamination):
    rng = np.random.RandomState(0)
    X = np.repeat(rng.normal(size=(20, 3)), 5, axis=0)
    X[:, 1] = 7.0
    det = GaussianMixtureAnomalyDetector(
        n_components_range=[1, 2, 3], contamination=contamination, random_state=0
    ).fit(X)
    assert np.isfinite(det.offset_)
    assert np.all(np.isfinite(det.score_samples(X)))
    # A new value in the constant column is far outside the learned density.
    moved = X[:3].copy()
    moved[:, 1] = 8.0
    np.testing.assert_array_equal(det.predict(moved), -1)


def test_identical_rows_clip_candidates_and_stay_finite():
    X = np.ones((10, 3))
    det = GaussianMixtureAnomalyDetector(contamination=0.1, random_state=0).fit(X)
    assert det.n_components_ == 1
    np.testing.assert_array_equal(det.n_components_candidates_, [1])
    assert np.isfinite(det.offset_)
    # All log densities tie, so none is strictly below the threshold.
    np.testing.assert_array_equal(det.predict(X), 1)


def test_more_components_than_samples_is_an_error():
    X = np.arange(6.0).reshape(3, 2)
    with pytest.raises(ValueError, match="n_components = 5, n_samples = 3"):
        GaussianMixtureAnomalyDetector(n_components=5).fit(X)


def test_one_sample_is_an_error():
    with pytest.raises(ValueError, match="1 sample"):
        GaussianMixtureAnomalyDetector(n_components=1).fit(np.ones((1, 2)))


@pytest.mark.parametrize(
    "n_components_range, match",
    [([], "non-empty"), ([0, 2], "positive integers"), ([1.5], "positive integers")],
)
def test_bad_candidate_range(blobs, n_components_range, match):
    det = GaussianMixtureAnomalyDetector(n_components_range=n_components_range)
    with pytest.raises(ValueError, match=match):
        det.fit(blobs)


def test_candidates_above_distinct_samples_are_an_error():
    X = np.repeat([[0.0, 0.0], [1.0, 1.0]], 5, axis=0)
    det = GaussianMixtureAnomalyDetector(n_components_range=[3, 4])
    with pytest.raises(ValueError, match="exceeds the number of distinct samples"):
        det.fit(X)


@pytest.mark.parametrize(
    "params", [{"contamination": 0.6}, {"contamination": 0.0}, {"cv": 1}]
)
def test_invalid_parameters(blobs, params):
    with pytest.raises(ValueError, match="must be"):
        GaussianMixtureAnomalyDetector(**params).fit(blobs)


def test_predict_checks_n_features(blobs):
    det = GaussianMixtureAnomalyDetector(n_components=3, random_state=0).fit(blobs)
    with pytest.raises(ValueError, match="features"):
        det.predict(np.ones((2, 3)))


# ------------------------------------------------ robustness where mixtures fail
# Each case fails with the previous default (features as given, reg_covar=1e-3 in
# their units, no minimum weight) and passes with the current one.
PREVIOUS_DEFAULT = {"scaling": None, "reg_covar": 1e-3, "min_weight": 0.0}


def _auc(det, X, y):
    return roc_auc_score(y, -det.score_samples(X))


def _flagged_anomalies(params, X, y):
    det = GaussianMixtureAnomalyDetector(
        contamination=y.mean(), random_state=0, **params
    ).fit(X)
    return int(np.sum((det.predict(X) == -1) & (y == 1)))


@pytest.fixture(scope="module")
def labels():
    return np.r_[np.zeros(380), np.ones(20)]


def test_default_flags_anomalies_tied_on_an_unseen_discrete_value(labels):
    # A discrete column (0 or 0.25 for normal rows) and 20 anomalies that share
    # the value 1 there: a component collapses onto that tie (its variance is
    # only reg_covar), which scores them as normal. min_weight leaves it out.
    for seed in range(3):
        rng = np.random.RandomState(seed)
        normal = np.c_[rng.normal(0.5, 0.1, (380, 2)), rng.choice([0, 0.25], 380)]
        anomalies = np.c_[rng.normal(0.5, 0.1, (20, 2)), np.ones(20)]
        X = np.vstack([normal, anomalies])
        assert _flagged_anomalies(PREVIOUS_DEFAULT, X, labels) <= 9
        assert _flagged_anomalies({}, X, labels) >= 19


def test_default_flags_a_dense_cluster_of_anomalies(labels):
    # Two normal blobs and a tight cluster of 5 % anomalies: the previous
    # default gives the cluster a component of its own; min_weight=0.1 drops it.
    rng = np.random.RandomState(1)
    normal = np.vstack(
        [rng.normal(0.3, 0.05, (190, 2)), rng.normal(0.7, 0.05, (190, 2))]
    )
    X = np.vstack([normal, rng.normal([0.3, 0.7], 0.01, (20, 2))])
    assert _flagged_anomalies(PREVIOUS_DEFAULT, X, labels) <= 10
    assert _flagged_anomalies({}, X, labels) == 20
    light = GaussianMixtureAnomalyDetector(n_components=4, random_state=0).fit(X)
    assert light.mixture_.weights_.min() >= 0.1
    assert light.n_components_ == 3


@pytest.mark.parametrize("units", [[1e3, 1e3], [1e3, 1e-3], [1e-3, 1e-3]])
def test_covariance_floor_is_relative_to_the_data_spread(labels, units):
    # The dense-cluster data in other units: reg_covar is a floor relative to
    # each feature's spread, so the fit is the same up to the change of units
    # (log densities shift by the log-Jacobian) and flags the same 20
    # anomalies. With a floor in absolute units (features as given, before
    # issue 23) the units decided: 5, 1, 0 and 0 of the 20 flagged.
    rng = np.random.RandomState(1)
    normal = np.vstack(
        [rng.normal(0.3, 0.05, (190, 2)), rng.normal(0.7, 0.05, (190, 2))]
    )
    X = np.vstack([normal, rng.normal([0.3, 0.7], 0.01, (20, 2))])
    common = {"contamination": 0.05, "random_state": 0}
    base = GaussianMixtureAnomalyDetector(**common).fit(X)
    det = GaussianMixtureAnomalyDetector(**common).fit(X * units)
    np.testing.assert_allclose(
        det.score_samples(X * units) + np.log(np.prod(units)), base.score_samples(X)
    )
    np.testing.assert_array_equal(
        np.flatnonzero(det.predict(X * units) == -1), range(380, 400)
    )


def test_robust_scaling_resolves_the_bulk_of_a_skewed_feature(labels):
    # A log-normal feature scaled to [0, 1] squeezes its bulk into a sliver that
    # reg_covar=1e-3 (in [0, 1] units) blurs; the anomalies sit off the bulk's
    # curve. Robust scaling makes reg_covar relative to the bulk's spread.
    # (ROC-AUC 0.55-0.75 before, 0.78-0.84 after, on data seeds 0-3.)
    for seed in range(4):
        rng = np.random.RandomState(seed)
        skewed = rng.lognormal(0, 1, 380)
        normal = np.c_[skewed, np.log(skewed) + rng.normal(0, 0.1, 380)]
        skewed = rng.lognormal(0, 0.3, 20)
        anomalies = np.c_[skewed, np.log(skewed) + 0.6]
        X = np.vstack([normal, anomalies])
        X = (X - X.min(axis=0)) / np.ptp(X, axis=0)
        # a float contamination skips "auto"'s draws; the ranking is the same
        common = {"contamination": 0.05, "random_state": 0}
        previous = GaussianMixtureAnomalyDetector(**common, **PREVIOUS_DEFAULT)
        robust = GaussianMixtureAnomalyDetector(scaling="robust", **common)
        previous_auc = _auc(previous.fit(X), X, labels)
        robust_auc = _auc(robust.fit(X), X, labels)
        assert robust_auc > 0.75
        assert robust_auc > previous_auc + 0.08


@pytest.mark.parametrize("scaling", ["standard", "robust"])
def test_affine_scaling_keeps_the_log_density_of_the_original_features(scaling):
    # One Gaussian without regularisation is affine-equivariant: fitted on scaled
    # features, its log density plus the log-Jacobian is the unscaled fit's.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 3)) @ np.diag([100.0, 1.0, 0.01]) + [5.0, -3.0, 0.0]
    params = {"n_components": 1, "reg_covar": 0.0, "contamination": 0.1}
    plain = GaussianMixtureAnomalyDetector(scaling=None, **params).fit(X)
    scaled = GaussianMixtureAnomalyDetector(scaling=scaling, **params).fit(X)
    np.testing.assert_allclose(scaled.score_samples(X), plain.score_samples(X))
    assert scaled.offset_ == pytest.approx(plain.offset_)
    assert plain.scaler_ is None


def test_quantile_scaling_scores_in_the_transformed_space():
    rng = np.random.RandomState(0)
    X = rng.lognormal(size=(300, 2))
    det = GaussianMixtureAnomalyDetector(
        scaling="quantile", n_components=1, random_state=0
    ).fit(X)
    Z = det.scaler_.transform(X)
    np.testing.assert_allclose(det.score_samples(X), det.mixture_.score_samples(Z))
    # the normal output makes the transformed features close to N(0, 1)
    np.testing.assert_allclose(det.mixture_.means_[0], 0.0, atol=0.05)


def test_min_weight_with_information_criterion_skips_light_candidates(blobs):
    params = {"n_components": "bic", "n_components_range": range(1, 6)}
    det = GaussianMixtureAnomalyDetector(min_weight=0.3, random_state=0, **params)
    det.fit(blobs)
    assert det.n_components_ == 3
    fussy = GaussianMixtureAnomalyDetector(min_weight=0.34, random_state=0, **params)
    assert fussy.fit(blobs).n_components_ < 3


def test_min_weight_is_only_for_gaussian_mixtures(blobs):
    # the Bayesian mixture switches off components through its prior; min_weight
    # does not apply to it (its unused components keep their tiny weights)
    params = {"n_components": 6, "mixture": "bayesian", "random_state": 0}
    det = GaussianMixtureAnomalyDetector(min_weight=0.3, **params).fit(blobs)
    plain = GaussianMixtureAnomalyDetector(min_weight=0.0, **params).fit(blobs)
    assert det.n_components_ == 6
    assert det.mixture_.weights_.min() < 0.3
    np.testing.assert_array_equal(det.score_samples(FAR), plain.score_samples(FAR))


def _irrelevant_features(seed, n_noise):
    # 380 normal rows and 20 anomalies shifted in 2 features; n_noise uniform
    # noise features; every feature scaled to [0, 1] (ADBench's scaling)
    rng = np.random.RandomState(seed)
    normal = rng.normal(size=(380, 2))
    anomalies = rng.normal(2.5, 0.5, size=(20, 2))
    X = np.hstack([np.vstack([normal, anomalies]), rng.uniform(size=(400, n_noise))])
    return (X - X.min(axis=0)) / np.ptp(X, axis=0)


def test_independent_features_find_anomalies_among_irrelevant_features(labels):
    # The anomalies stand out in 2 features of 20; the other 18 are noise. The
    # joint mixture spreads its components over the noise and ranks them little
    # better than chance (ROC-AUC 0.53-0.76 on data seeds 0-3, 0.97 on the 2
    # features alone); one mixture per feature gives each noise feature a nearly
    # flat density of its own (0.91-0.96).
    X = _irrelevant_features(0, n_noise=18)
    common = {"contamination": 0.05, "random_state": 0}
    relevant = GaussianMixtureAnomalyDetector(**common).fit(X[:, :2])
    joint = GaussianMixtureAnomalyDetector(**common).fit(X)
    independent = GaussianMixtureAnomalyDetector(independent_features=True, **common)
    assert _auc(relevant, X[:, :2], labels) > 0.95
    assert _auc(joint, X, labels) < 0.65
    assert _auc(independent.fit(X), X, labels) > 0.88


def test_independent_features_score_the_product_of_the_features_densities(blobs):
    X = np.c_[blobs, np.random.RandomState(0).lognormal(size=blobs.shape[0])]
    common = {"contamination": 0.1, "random_state": 0}
    det = GaussianMixtureAnomalyDetector(independent_features=True, **common).fit(X)
    columns = [
        GaussianMixtureAnomalyDetector(**common).fit(X[:, [j]]) for j in range(3)
    ]
    expected = sum(c.score_samples(X[:, [j]]) for j, c in enumerate(columns))
    np.testing.assert_allclose(det.score_samples(X), expected)
    assert det.offset_ == pytest.approx(np.percentile(expected, 10))
    assert det.n_components_ == sum(c.n_components_ for c in columns)
    assert len(det.mixture_.mixtures_) == 3
    assert len(det.n_components_candidates_) == 3


def test_independent_features_auto_threshold_draws_the_features_independently():
    # Two independent bimodal features: a mixture's draws come grouped by
    # component, so "auto" must pair the columns at random to sample the
    # product density; it then flags about 2.5% of new samples (features as
    # given and reg_covar close to 0: the fitted model is then the true one).
    rng = np.random.RandomState(0)

    def draw(n):
        return rng.choice([-5.0, 5.0], size=(n, 2)) + rng.normal(size=(n, 2))

    det = GaussianMixtureAnomalyDetector(
        n_components=2,
        independent_features=True,
        scaling=None,
        reg_covar=1e-6,
        random_state=0,
    ).fit(draw(4000))
    draws, _ = det.mixture_.sample(5000)
    assert abs(np.corrcoef(draws.T)[0, 1]) < 0.05
    assert np.mean(det.predict(draw(20000)) == -1) == pytest.approx(0.025, abs=0.006)


@pytest.mark.parametrize("n_components", [2, "ensemble", "bic"])
def test_independent_features_with_cross_fitting_and_selection(blobs, n_components):
    det = GaussianMixtureAnomalyDetector(
        n_components,
        independent_features=True,
        n_components_range=(1, 2, 3),
        contamination=0.1,
        cv=3,
        random_state=0,
    ).fit(blobs)
    assert np.isfinite(det.offset_)
    assert np.mean(det.predict(blobs) == -1) == pytest.approx(0.1, abs=0.05)
    if n_components == "bic":
        # each feature of the three blobs shows two modes (0 and 10)
        assert [len(v) for v in det.criterion_values_] == [3, 3]
        assert [m.n_components for m in det.mixture_.mixtures_] == [2, 2]
    else:
        assert det.criterion_values_ is None
