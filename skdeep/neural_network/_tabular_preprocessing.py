"""The tabular recipe's preprocessing: robust scaling with smooth clipping for the
numeric columns (``RobustSmoothScaler``), and a table's columns split into the
network's blocks (``TabularColumns``)."""

from numbers import Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)

# the inter-quartile range of a standard normal: a normal column gets unit spread
_NORMAL_IQR = 1.3489795003921634


def weighted_quantiles(X, quantiles, sample_weight=None):
    """Each column's quantiles by the inverted empirical distribution function,
    counting a row ``w`` times for an integer weight ``w`` (so a weight of 2 gives
    what repeating the row gives; rows of weight 0 do not count)."""
    X = np.asarray(X, dtype=np.float64)
    w = np.ones(len(X)) if sample_weight is None else np.asarray(sample_weight, float)
    out = np.empty((len(quantiles), X.shape[1]))
    for j in range(X.shape[1]):
        order = np.argsort(X[:, j], kind="stable")
        cumulative = np.cumsum(w[order])
        for i, q in enumerate(quantiles):
            # the first row whose cumulative weight reaches q of the total
            index = np.searchsorted(cumulative, q * cumulative[-1], side="left")
            out[i, j] = X[order[min(index, len(order) - 1)], j]
    return out


def smooth_clip(z, bound=3.0):
    """``z / sqrt(1 + (z / bound)²)``: the identity near 0, tending to ``±bound``."""
    return z / np.sqrt(1.0 + (z / bound) ** 2)


class RobustSmoothScaler(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Centre each column on its median, scale it by its inter-quartile range, then
    clip it smoothly.

    ``z = (x - median) / (IQR / 1.349)`` (quantiles of the empirical distribution,
    rows counted by their sample weight), the IQR of a standard normal, so a normal
    column gets unit spread; a column whose quartiles coincide is scaled by half its
    range instead, and a constant column becomes 0. With ``smooth_clip``, the output
    is ``z / sqrt(1 + (z / clip_bound)²)``: outliers are squashed towards
    ``±clip_bound`` without the kink of a hard clip.

    Parameters
    ----------
    smooth_clip : bool, default=True
        Clip the scaled values smoothly.
    clip_bound : float, default=3.0
        The value the clipped output tends to.

    Attributes
    ----------
    center_ : ndarray of shape (n_features,)
        The medians.
    scale_ : ndarray of shape (n_features,)
        The divisors (infinite for a constant column, which becomes 0).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.neural_network._tabular_preprocessing import RobustSmoothScaler
    >>> X = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    >>> RobustSmoothScaler().fit_transform(X).ravel().round(2)
    array([-1.23, -0.66,  0.  ,  0.66,  3.  ])
    """

    _parameter_constraints: dict = {
        "smooth_clip": ["boolean"],
        "clip_bound": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, *, smooth_clip=True, clip_bound=3.0):
        self.smooth_clip = smooth_clip
        self.clip_bound = clip_bound

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None):
        """Learn the medians and spreads of ``X``'s columns (rows counted by
        ``sample_weight``); returns self."""
        X = validate_data(self, X, dtype=np.float64)
        if sample_weight is not None:
            sample_weight = _check_sample_weight(sample_weight, X)
        low, self.center_, high = weighted_quantiles(
            X, (0.25, 0.5, 0.75), sample_weight
        )
        spread = (high - low) / _NORMAL_IQR
        counted = X if sample_weight is None else X[sample_weight > 0]
        half_range = 0.5 * (counted.max(axis=0) - counted.min(axis=0))
        spread = np.where(spread > 0, spread, half_range)
        self.scale_ = np.where(spread > 0, spread, np.inf)
        return self

    def transform(self, X):
        """Scale (and smoothly clip) ``X``."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        z = (X - self.center_) / self.scale_
        if self.smooth_clip:
            z = smooth_clip(z, self.clip_bound)
        return z


def categorical_columns(X):
    """The names of ``X``'s categorical columns: those of a pandas DataFrame whose
    dtype is neither numeric nor boolean (``category``, ``object``, string); empty
    for anything but a DataFrame."""
    columns = getattr(X, "columns", None)
    dtypes = getattr(X, "dtypes", None)
    if columns is None or dtypes is None or not hasattr(X, "iloc"):
        return []
    import pandas as pd

    return [
        name
        for name, dtype in zip(columns, dtypes)
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        )
    ]


class TabularColumns:
    """A table's columns as the recipe's network takes them: the numeric columns
    robustly scaled (``scaler``), the categorical columns with at most
    ``max_one_hot`` categories one-hot encoded, and the larger ones as integer codes
    for learned embeddings (``-1``: a category not seen in training, or missing).

    ``transform`` returns one float array, ``[numeric | one-hot | codes]``;
    ``n_numeric``, ``n_one_hot`` and ``cardinalities`` (one per code column) say
    where each block is. Written out rather than a ``ColumnTransformer``, which
    passes ``sample_weight`` to the scaler only under scikit-learn's global
    metadata-routing setting.
    """

    def __init__(self, scaler, max_one_hot):
        self.scaler = scaler
        self.max_one_hot = max_one_hot

    def fit(self, X, sample_weight=None):
        from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

        categorical = set(categorical_columns(X))
        self.numeric = [c for c in X.columns if c not in categorical]
        counts = {c: X[c].dropna().nunique() for c in categorical}
        self.one_hot = [
            c for c in X.columns if c in categorical and counts[c] <= self.max_one_hot
        ]
        self.coded = [
            c for c in X.columns if c in categorical and counts[c] > self.max_one_hot
        ]
        if self.numeric:
            self.scaler.fit(
                X[self.numeric].to_numpy(np.float64), sample_weight=sample_weight
            )
        self.one_hot_encoder = None
        if self.one_hot:
            self.one_hot_encoder = OneHotEncoder(
                handle_unknown="ignore", sparse_output=False
            ).fit(X[self.one_hot].astype(object))
        self.ordinal_encoder = None
        self.cardinalities = ()
        if self.coded:
            self.ordinal_encoder = OrdinalEncoder(
                handle_unknown="use_encoded_value",
                unknown_value=-1,
                encoded_missing_value=-1,
            ).fit(X[self.coded].astype(object))
            self.cardinalities = tuple(
                len([c for c in cats if c == c])  # NaN is not a category
                for cats in self.ordinal_encoder.categories_
            )
        return self

    @property
    def n_numeric(self):
        return len(self.numeric)

    @property
    def n_one_hot(self):
        if self.one_hot_encoder is None:
            return 0
        return len(self.one_hot_encoder.get_feature_names_out())

    def transform(self, X):
        blocks = []
        if self.numeric:
            blocks.append(self.scaler.transform(X[self.numeric].to_numpy(np.float64)))
        if self.one_hot_encoder is not None:
            blocks.append(
                self.one_hot_encoder.transform(X[self.one_hot].astype(object))
            )
        if self.ordinal_encoder is not None:
            blocks.append(self.ordinal_encoder.transform(X[self.coded].astype(object)))
        return np.hstack(blocks).astype(np.float64)
