"""Active learning: which samples to label next, and a loop against an oracle."""

import numpy as np
from sklearn.base import clone
from sklearn.utils import _safe_indexing, check_array

STRATEGIES = ("uncertainty", "margin", "entropy")


def uncertainty_scores(proba, strategy="uncertainty"):
    """How unsure a model is about each sample; higher means less sure.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted class probabilities.

    strategy : {"uncertainty", "margin", "entropy"}, default="uncertainty"
        ``"uncertainty"``: 1 - the highest probability (least confidence).
        ``"margin"``: minus the gap between the two highest probabilities.
        ``"entropy"``: the entropy of the distribution, in nats.

    Returns
    -------
    scores : ndarray of shape (n_samples,)
        One score per sample.

    Examples
    --------
    >>> from skdeep.semi_supervised import uncertainty_scores
    >>> uncertainty_scores([[0.9, 0.1], [0.5, 0.5]], "margin")
    array([-0.8, -0. ])
    """
    if strategy not in STRATEGIES:
        raise ValueError(
            f"strategy must be one of {STRATEGIES}, got {strategy!r} instead."
        )
    proba = check_array(proba, ensure_min_samples=0)
    if strategy == "uncertainty":
        return 1.0 - proba.max(axis=1)
    if strategy == "margin":
        if proba.shape[1] < 2:
            return np.zeros(proba.shape[0])
        top2 = np.sort(proba, axis=1)[:, -2:]
        return -(top2[:, 1] - top2[:, 0])
    with np.errstate(divide="ignore", invalid="ignore"):
        logs = np.where(proba > 0, np.log(np.where(proba > 0, proba, 1.0)), 0.0)
    return -(proba * logs).sum(axis=1)


def query_indices(proba, n_instances=1, strategy="uncertainty", groups=None):
    """Indices of the ``n_instances`` least certain samples, most uncertain first.

    Parameters
    ----------
    proba : array-like of shape (n_samples, n_classes)
        Predicted class probabilities of the candidate samples.

    n_instances : int, default=1
        How many indices to return at most.

    strategy : {"uncertainty", "margin", "entropy"}, default="uncertainty"
        See :func:`uncertainty_scores`.

    groups : array-like of shape (n_samples,), default=None
        Cluster of each candidate. When given, at most one sample per group is
        returned (the most uncertain of the group), so fewer than
        ``n_instances`` come back when there are fewer groups.

    Returns
    -------
    indices : ndarray of shape (n_returned,)
        Row indices into ``proba``. Ties keep the lower index first.

    Examples
    --------
    >>> from skdeep.semi_supervised import query_indices
    >>> proba = [[0.9, 0.1], [0.6, 0.4], [0.5, 0.5], [0.8, 0.2]]
    >>> query_indices(proba, 2)
    array([2, 1])
    >>> query_indices(proba, 2, groups=[0, 1, 1, 0])
    array([2, 3])
    """
    if not (isinstance(n_instances, (int, np.integer)) and n_instances >= 1):
        raise ValueError(f"n_instances must be an int >= 1, got {n_instances!r}.")
    scores = uncertainty_scores(proba, strategy)
    order = np.argsort(-scores, kind="stable")
    if groups is not None:
        groups = np.asarray(groups)
        if groups.shape[0] != scores.shape[0]:
            raise ValueError(
                f"groups has {groups.shape[0]} entries, expected {scores.shape[0]}."
            )
        _, first = np.unique(groups[order], return_index=True)
        order = order[np.sort(first)]
    return order[:n_instances]


def active_learning_loop(
    estimator,
    X,
    y,
    oracle,
    *,
    n_rounds=5,
    n_instances=10,
    strategy="uncertainty",
    diverse=False,
    eval_set=None,
):
    """Alternate fitting and asking an oracle to label the least certain samples.

    Each round fits a clone of ``estimator`` on ``(X, y_current)``, queries
    ``n_instances`` still-unlabelled samples with ``estimator.query``, and
    stores the oracle's labels for them. The caller's ``y`` is not modified.

    Parameters
    ----------
    estimator : ClusterPropagationClassifier
        Unfitted estimator with a ``query`` method (any estimator with ``fit``
        and ``query(X_pool, n_instances, strategy, diverse)``).

    X : {array-like, sparse matrix} of shape (n_samples, n_features)
        All training samples.

    y : array-like of shape (n_samples,)
        Known labels; the estimator's ``unlabelled_label`` (default -1) marks
        unlabelled samples.

    oracle : callable
        ``oracle(indices) -> labels``: receives row indices into ``X`` and
        returns their true labels (a human, or a lookup in a benchmark).

    n_rounds : int, default=5
        Number of query rounds.

    n_instances : int, default=10
        Samples queried per round.

    strategy : {"uncertainty", "margin", "entropy"}, default="uncertainty"
        Uncertainty measure, see :func:`uncertainty_scores`.

    diverse : bool, default=False
        At most one query per cluster per round.

    eval_set : tuple (X_val, y_val), default=None
        If given, each round records ``score(X_val, y_val)``.

    Returns
    -------
    estimator : estimator object
        A clone fitted on all labels gathered, after the last round.

    y : ndarray of shape (n_samples,)
        The labels gathered (given plus queried; -1 elsewhere).

    history : list of dict
        Per round: ``"round"``, ``"queried"`` (indices), ``"n_labelled"``
        (before the query) and, with ``eval_set``, ``"score"`` (of the model
        fitted before the query).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeep.semi_supervised import (
    ...     ClusterPropagationClassifier, active_learning_loop)
    >>> X, y_true = make_blobs(n_samples=80, centers=4, random_state=0)
    >>> y = np.full(80, -1)
    >>> y[:4] = y_true[:4]
    >>> clf = ClusterPropagationClassifier(n_clusters=8, random_state=0)
    >>> model, y_new, history = active_learning_loop(
    ...     clf, X, y, lambda idx: y_true[idx], n_rounds=2, n_instances=3)
    >>> [h["n_labelled"] for h in history], int((y_new != -1).sum())
    ([4, 7], 10)
    """
    from skdeep.semi_supervised._cluster_propagation import _unlabelled_mask

    if not callable(oracle):
        raise TypeError(f"oracle must be callable, got {type(oracle).__name__}.")
    if not (isinstance(n_rounds, (int, np.integer)) and n_rounds >= 0):
        raise ValueError(f"n_rounds must be an int >= 0, got {n_rounds!r}.")
    marker = estimator.get_params().get("unlabelled_label", -1)
    y_current = np.array(y, copy=True)
    history = []
    model = None
    for round_ in range(n_rounds):
        model = clone(estimator).fit(X, y_current)
        record = {"round": round_}
        pool = np.flatnonzero(_unlabelled_mask(y_current, marker))
        record["n_labelled"] = int(y_current.shape[0] - pool.shape[0])
        if eval_set is not None:
            record["score"] = float(model.score(*eval_set))
        if pool.shape[0] == 0:
            record["queried"] = np.array([], dtype=np.intp)
            history.append(record)
            break
        X_pool = _safe_indexing(X, pool)
        picked = pool[
            model.query(X_pool, n_instances, strategy=strategy, diverse=diverse)
        ]
        labels = np.asarray(oracle(picked))
        if labels.shape[0] != picked.shape[0]:
            raise ValueError(
                f"oracle returned {labels.shape[0]} labels for {picked.shape[0]} "
                "indices."
            )
        if labels.dtype.kind in "OUS" and y_current.dtype.kind != "O":
            y_current = y_current.astype(object)
        y_current[picked] = labels
        record["queried"] = picked
        history.append(record)
    model = clone(estimator).fit(X, y_current)
    return model, y_current, history
