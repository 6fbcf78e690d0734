"""Scoring and cross-validation on partly labelled data (unlabelled rows are -1)."""

import warnings

import numpy as np
from sklearn.metrics import check_scoring
from sklearn.model_selection import KFold, StratifiedKFold
from sklearn.model_selection._split import BaseCrossValidator
from sklearn.utils import _safe_indexing

from skdeep.semi_supervised._cluster_propagation import _unlabelled_mask


class _LabelledScorer:
    """Callable ``scorer(estimator, X, y)`` restricted to rows with ``y != -1``."""

    def __init__(self, scoring, unlabelled_label):
        self.scoring = scoring
        self.unlabelled_label = unlabelled_label

    def __call__(self, estimator, X, y, **kwargs):
        y = np.asarray(y)
        keep = np.flatnonzero(~_unlabelled_mask(y, self.unlabelled_label))
        if keep.size == 0:
            warnings.warn(
                "No labeled sample to score; returning nan.", UserWarning, stacklevel=2
            )
            return np.nan
        kwargs = {
            k: (_safe_indexing(v, keep) if _is_per_sample(v, y) else v)
            for k, v in kwargs.items()
        }
        scorer = check_scoring(estimator, scoring=self.scoring)
        return scorer(estimator, _safe_indexing(X, keep), y[keep], **kwargs)

    def __repr__(self):
        return f"labelled_scorer({self.scoring!r})"


def _is_per_sample(value, y):
    return hasattr(value, "__len__") and len(value) == y.shape[0]


def labelled_scorer(scoring=None, *, unlabelled_label=-1):
    """Wrap a scorer so that it scores only the labelled rows (``y != -1``).

    Use it as ``scoring=`` of ``GridSearchCV``, ``cross_val_score`` and friends
    when ``y`` holds unlabelled samples: a plain scorer counts every -1 row as a
    wrong prediction (the model never predicts -1), so the score drops with the
    share of unlabelled rows in each fold and the comparison between candidates
    is blurred (scikit-learn issues #2593 and #6574).

    Parameters
    ----------
    scoring : str, callable or None, default=None
        Anything ``sklearn.metrics.check_scoring`` accepts: a scorer name such
        as ``"f1_macro"``, a scorer callable, or None for the estimator's
        ``score`` method.

    unlabelled_label : int, float or str, default=-1
        Value of ``y`` that marks an unlabelled row.

    Returns
    -------
    scorer : callable
        ``scorer(estimator, X, y)``; returns nan (with a warning) when no row is
        labelled.

    See Also
    --------
    LabelledKFold : Splitter whose test folds hold labelled samples only.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skdeep.semi_supervised import labelled_scorer
    >>> X = np.array([[0.0], [1.0], [10.0], [11.0]])
    >>> clf = LogisticRegression().fit(X, [0, 0, 1, 1])
    >>> labelled_scorer("accuracy")(clf, X, np.array([0, -1, 1, -1]))
    1.0
    """
    return _LabelledScorer(scoring, unlabelled_label)


class LabelledKFold(BaseCrossValidator):
    """K-fold cross-validation that tests on labelled samples only.

    The labelled samples (``y != -1``) are split into ``n_splits`` folds,
    stratified by class when ``stratify=True``; every unlabelled sample is in
    every training set. Test folds therefore never contain -1, so any scoring
    (including the default one) measures real labels, and each model still
    sees all unlabelled data it can propagate to.

    Parameters
    ----------
    n_splits : int, default=5
        Number of folds, at least 2.

    stratify : bool, default=True
        Keep the class proportions of the labelled samples in each fold
        (``StratifiedKFold``); otherwise plain ``KFold``.

    shuffle : bool, default=False
        Shuffle the labelled samples before splitting.

    random_state : int, RandomState instance or None, default=None
        Seed of the shuffle; only used when ``shuffle=True``.

    unlabelled_label : int, float or str, default=-1
        Value of ``y`` that marks an unlabelled sample.

    See Also
    --------
    labelled_scorer : Scorer that ignores unlabelled rows.

    Examples
    --------
    >>> import numpy as np
    >>> from skdeep.semi_supervised import LabelledKFold
    >>> y = np.array([0, -1, 1, -1, 0, 1])
    >>> for train, test in LabelledKFold(n_splits=2).split(np.zeros((6, 1)), y):
    ...     print(train, test)
    [1 3 4 5] [0 2]
    [0 1 2 3] [4 5]
    """

    def __init__(
        self,
        n_splits=5,
        *,
        stratify=True,
        shuffle=False,
        random_state=None,
        unlabelled_label=-1,
    ):
        if not (isinstance(n_splits, (int, np.integer)) and n_splits >= 2):
            raise ValueError(f"n_splits must be an int >= 2, got {n_splits!r}.")
        if not shuffle and random_state is not None:
            raise ValueError(
                "Setting a random_state has no effect since shuffle is False. You "
                "should leave random_state to its default (None), or set "
                "shuffle=True."
            )
        self.n_splits = n_splits
        self.stratify = stratify
        self.shuffle = shuffle
        self.random_state = random_state
        self.unlabelled_label = unlabelled_label

    def split(self, X, y, groups=None):
        """Generate train and test indices.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Labels, ``unlabelled_label`` for unlabelled samples.

        groups : None
            Ignored.

        Yields
        ------
        train : ndarray
            Training indices: the other folds plus all unlabelled samples.

        test : ndarray
            Test indices: labelled samples only.
        """
        y = np.asarray(y)
        unlabelled = _unlabelled_mask(y, self.unlabelled_label)
        labelled_idx = np.flatnonzero(~unlabelled)
        unlabelled_idx = np.flatnonzero(unlabelled)
        if labelled_idx.shape[0] < self.n_splits:
            raise ValueError(
                f"Cannot have number of splits n_splits={self.n_splits} greater "
                f"than the number of labeled samples: n_samples="
                f"{labelled_idx.shape[0]}."
            )
        random_state = self.random_state if self.shuffle else None
        cv_class = StratifiedKFold if self.stratify else KFold
        cv = cv_class(self.n_splits, shuffle=self.shuffle, random_state=random_state)
        y_labelled = y[labelled_idx]
        for train, test in cv.split(np.zeros((labelled_idx.shape[0], 1)), y_labelled):
            yield (
                np.sort(np.concatenate([labelled_idx[train], unlabelled_idx])),
                labelled_idx[test],
            )

    def get_n_splits(self, X=None, y=None, groups=None):
        """Number of splitting iterations, ``n_splits``.

        Parameters
        ----------
        X, y, groups : object
            Ignored, present for API compatibility.

        Returns
        -------
        n_splits : int
            The number of folds.
        """
        return self.n_splits
