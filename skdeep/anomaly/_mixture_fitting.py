"""Mixture fitting for the anomaly detector: model selection and thresholds."""

import numpy as np
from sklearn import config_context
from sklearn.base import clone
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.model_selection import KFold
from sklearn.preprocessing import QuantileTransformer, RobustScaler, StandardScaler

# Share of the fitted mixture's probability mass that ``contamination="auto"`` keeps
# inside the inlier region: the mixture analogue of the chi-square(0.975) cut-off
# that robust covariance estimation (MinCovDet's reweighting step) uses.
AUTO_MASS = 0.975
# Samples drawn from the fitted mixture to locate that density level.
AUTO_DRAWS = 20_000
DEFAULT_RANGE = tuple(range(1, 11))
# Member component counts of ``n_components="ensemble"``.
ENSEMBLE_RANGE = (1, 2, 4)


# Most quantiles ``scaling="quantile"`` estimates (QuantileTransformer's default).
QUANTILES = 1000


def fit_scaling(X, scaling, seed):
    """Fitted feature scaling for ``scaling`` and the log-Jacobian it adds.

    Returns ``(scaler, log_jacobian)``: ``scaler`` is None (no scaling) or a fitted
    transformer; ``log_jacobian`` is the constant to add to log densities of the
    scaled features so that they are log densities of the original ones (affine
    scalings), or 0.0 (no scaling, and the non-affine quantile transform, whose log
    densities are those of the transformed features). Constant columns keep a
    scale of 1, as in scikit-learn's scalers.
    """
    if scaling is None:
        return None, 0.0
    if scaling == "quantile":
        scaler = QuantileTransformer(
            n_quantiles=min(QUANTILES, X.shape[0]),
            output_distribution="normal",
            random_state=seed,
        )
        return scaler.fit(X), 0.0
    if scaling == "standard":
        scaler = StandardScaler()
    else:
        scaler = RobustScaler(unit_variance=True)
    scaler.fit(X)
    return scaler, float(-np.sum(np.log(scaler.scale_)))


def candidate_range(n_components_range, n_distinct, default=DEFAULT_RANGE):
    """Sorted unique candidate component counts, clipped to ``n_distinct`` samples."""
    values = default if n_components_range is None else n_components_range
    values = np.asarray(values)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(
            "n_components_range must be a non-empty 1d sequence of positive "
            f"integers, got {n_components_range!r}."
        )
    if not np.issubdtype(values.dtype, np.integer) or np.any(values < 1):
        raise ValueError(
            "n_components_range must contain positive integers, got "
            f"{n_components_range!r}."
        )
    values = np.unique(values)
    kept = values[values <= n_distinct]
    if kept.size == 0:
        raise ValueError(
            f"Every candidate in n_components_range ({values.tolist()}) exceeds the "
            f"number of distinct samples ({n_distinct}); lower n_components_range."
        )
    return [int(k) for k in kept]


def make_mixture(template, n_components):
    """Clone the unfitted ``template`` mixture with ``n_components`` components."""
    return clone(template).set_params(n_components=n_components)


def fit_mixture(template, n_components, X):
    """Fit a clone of ``template`` on ``X``, always with NumPy.

    The detector validates its input to NumPy, so scikit-learn's array API dispatch
    (which rejects ``init_params='kmeans'``) is switched off for the inner fit.
    """
    with config_context(array_api_dispatch=False):
        return make_mixture(template, n_components).fit(X)


def build_template(params, seed):
    """Unfitted GaussianMixture / BayesianGaussianMixture from detector parameters."""
    common = {
        "covariance_type": params["covariance_type"],
        "tol": params["tol"],
        "reg_covar": params["reg_covar"],
        "max_iter": params["max_iter"],
        "n_init": params["n_init"],
        "init_params": params["init_params"],
        "random_state": seed,
    }
    if params["mixture"] == "bayesian":
        return BayesianGaussianMixture(
            weight_concentration_prior_type=params["weight_concentration_prior_type"],
            weight_concentration_prior=params["weight_concentration_prior"],
            **common,
        )
    return GaussianMixture(**common)


def min_component_support(covariance_type, n_features):
    """Fewest samples a component needs for its covariance to exist without reg_covar.

    A full covariance needs ``n_features + 1`` samples, a diagonal or spherical one
    two; a tied covariance is shared, so any component size is fine.
    """
    return {"full": n_features + 1, "diag": 2, "spherical": 2, "tied": 0}[
        covariance_type
    ]


def point_mass_components(mixture, X_distinct, min_support, min_weight=0.0):
    """Mask of the components that more than ``min_support`` distinct rows support.

    Each distinct training row counts for the component that most likely produced
    it. A component with fewer distinct rows than ``min_support`` sits on one or a
    few isolated points -- a lone outlier, or a clump of repeated anomalous rows --
    and its density there exists only through ``reg_covar``; scoring with it would
    rank those points as the most normal. When every component is such a point
    mass (data with very few distinct rows), all are kept. A component whose
    weight is below ``min_weight`` is left out too (a small dense cluster, which
    is what clustered anomalies look like), except the heaviest component.
    """
    counts = np.bincount(mixture.predict(X_distinct), minlength=mixture.n_components)
    keep = counts >= min_support
    if not keep.any():
        keep = np.ones_like(keep)
    light = mixture.weights_ < min_weight
    light[np.argmax(mixture.weights_)] = False
    kept = keep & ~light
    return kept if kept.any() else keep


def average_mixtures(mixtures, keeps=None):
    """One fitted GaussianMixture whose density is the mean of the members' densities.

    Every member gets the same total weight, split over its components as in the
    member; with ``keeps`` (one boolean mask per member) only the kept components,
    their weights renormalised within the member. Tied covariances are expanded to
    full ones (a member's tied matrix is not shared with the others); the result
    has the members' covariance type otherwise.
    """
    first = mixtures[0]
    covariance_type = (
        "full" if first.covariance_type == "tied" else (first.covariance_type)
    )
    if keeps is None:
        keeps = [np.ones(m.n_components, dtype=bool) for m in mixtures]

    def per_component(mixture, name, keep):
        value = getattr(mixture, name)
        if mixture.covariance_type == "tied":
            value = np.broadcast_to(value, (mixture.n_components, *value.shape))
        return value[keep]

    weights = np.concatenate(
        [
            m.weights_[keep] / m.weights_[keep].sum() / len(mixtures)
            for m, keep in zip(mixtures, keeps, strict=True)
        ]
    )
    combined = clone(first).set_params(
        n_components=weights.shape[0], covariance_type=covariance_type
    )
    combined.weights_ = weights
    combined.means_ = np.concatenate(
        [m.means_[keep] for m, keep in zip(mixtures, keeps, strict=True)]
    )
    for name in ("covariances_", "precisions_cholesky_", "precisions_"):
        setattr(
            combined,
            name,
            np.concatenate(
                [
                    per_component(m, name, keep)
                    for m, keep in zip(mixtures, keeps, strict=True)
                ]
            ),
        )
    combined.converged_ = all(m.converged_ for m in mixtures)
    combined.n_iter_ = max(m.n_iter_ for m in mixtures)
    combined.n_features_in_ = first.n_features_in_
    return combined


def fit_ensemble(template, X, candidates, min_weight=0.0):
    """Equal-weight mixture of one fitted mixture per count in ``candidates``.

    Components that are point masses (see :func:`point_mass_components`; at least
    two distinct rows, or what the covariance type needs) are left out of their
    member, so a lone outlier or a clump of repeated rows never gets a component
    of its own; so are components lighter than ``min_weight``.
    """
    mixtures = [fit_mixture(template, k, X) for k in candidates]
    X_distinct = np.unique(X, axis=0)
    min_support = max(2, min_component_support(template.covariance_type, X.shape[1]))
    keeps = [
        point_mass_components(m, X_distinct, min_support, min_weight) for m in mixtures
    ]
    return average_mixtures(mixtures, keeps)


def fit_selected(template, X, n_components, candidates, min_weight=0.0):
    """Fit one mixture, an ensemble over ``candidates``, or select one by BIC / AIC.

    Selection skips candidates with a degenerate component (fewer samples than
    :func:`min_component_support`): such a component sits on a few isolated
    points, which is what outliers look like, and its density there exists only
    through ``reg_covar``; so do candidates with a component lighter than
    ``min_weight``. When every candidate is degenerate the criterion alone
    decides. An int ``n_components`` with ``min_weight`` leaves the lighter
    components out of the fitted mixture (the heaviest is always kept).
    Returns ``(fitted_mixture, criterion_values)``; ``criterion_values`` is None
    when ``n_components`` is an int.
    """
    if not isinstance(n_components, str):
        mixture = fit_mixture(template, n_components, X)
        if min_weight > 0 and np.any(mixture.weights_ < min_weight):
            keep = mixture.weights_ >= min_weight
            keep[np.argmax(mixture.weights_)] = True
            mixture = average_mixtures([mixture], [keep])
        return mixture, None
    if n_components == "ensemble":
        return fit_ensemble(template, X, candidates, min_weight), None
    n_samples, n_features = X.shape
    needed = min_component_support(template.covariance_type, n_features)
    mixtures, values, degenerate = [], [], []
    for k in candidates:
        mixture = fit_mixture(template, k, X)
        mixtures.append(mixture)
        values.append(mixture.bic(X) if n_components == "bic" else mixture.aic(X))
        degenerate.append(
            bool(
                np.any(mixture.weights_ * n_samples < needed)
                or np.any(mixture.weights_ < min_weight)
            )
        )
    values = np.asarray(values, dtype=float)
    eligible = np.isfinite(values) & ~np.asarray(degenerate)
    if not eligible.any():
        eligible = np.isfinite(values)
    if not eligible.any():
        raise ValueError(
            f"Every candidate mixture has a non-finite {n_components.upper()}; the "
            "data may be degenerate (increase reg_covar)."
        )
    best = int(np.argmin(np.where(eligible, values, np.inf)))
    return mixtures[best], values


def auto_offset(mixture):
    """Log-density level whose superlevel set holds ``AUTO_MASS`` of the mixture."""
    draws, _ = mixture.sample(AUTO_DRAWS)
    return float(np.quantile(mixture.score_samples(draws), 1.0 - AUTO_MASS))


def cross_fitted_scores(fit_fold, X, support, cv, seed, needed):
    """Out-of-fold log densities: each sample scored by a mixture fitted without it.

    ``fit_fold(X_train)`` returns the density fitted on a fold's training rows
    (those of ``support``); a fold keeping fewer than ``needed`` rows is an error.
    """
    scores = np.empty(X.shape[0], dtype=float)
    folds = KFold(n_splits=cv, shuffle=True, random_state=seed)
    for train, test in folds.split(X):
        train = train[support[train]]
        if train.size < needed:
            raise ValueError(
                f"A cross-fitting fold keeps {train.size} training samples, fewer "
                f"than n_components={needed}; lower cv or n_components."
            )
        scores[test] = fit_fold(X[train]).score_samples(X[test])
    return scores


class IndependentMixtures:
    """Product of one fitted mixture per feature: a density of independent features.

    ``score_samples`` sums the features' log densities; ``sample`` draws each
    feature from its own mixture and pairs the columns at random, as
    independence requires (a mixture's draws come grouped by component).
    """

    def __init__(self, mixtures, random_state):
        self.mixtures_ = list(mixtures)
        self.random_state = random_state
        self.n_components = sum(int(m.n_components) for m in self.mixtures_)
        self.n_iter_ = max(int(m.n_iter_) for m in self.mixtures_)
        self.n_features_in_ = len(self.mixtures_)

    def score_samples(self, X):
        """Sum over the features of each feature's log density."""
        return np.sum(
            [m.score_samples(X[:, [j]]) for j, m in enumerate(self.mixtures_)], axis=0
        )

    def sample(self, n_samples):
        """``(X, None)``: ``n_samples`` draws with independent features."""
        rng = np.random.RandomState(self.random_state)
        columns = [
            rng.permutation(mixture.sample(n_samples)[0][:, 0])
            for mixture in self.mixtures_
        ]
        return np.column_stack(columns), None
