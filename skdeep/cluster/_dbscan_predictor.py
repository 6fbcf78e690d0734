"""DBSCAN clustering that labels new samples by a k-nearest-neighbours vote."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, ClusterMixin, _fit_context
from sklearn.cluster import DBSCAN
from sklearn.metrics import adjusted_rand_score, silhouette_score
from sklearn.neighbors import KNeighborsClassifier
from sklearn.utils import gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

# Bytes held per (query sample, neighbour) pair while voting: the distance, the
# index, the weight and the flat vote index, 8 bytes each.
_BYTES_PER_PAIR = 32


def _neighbor_weights(dist, weights):
    """Vote weight of each neighbour, as ``KNeighborsClassifier`` weighs them.

    With ``weights="distance"`` a query that coincides with one or more training
    samples takes its vote from those samples only.
    """
    if weights == "uniform":
        return np.ones_like(dist)
    if weights == "distance":
        with np.errstate(divide="ignore"):
            w = 1.0 / dist
        inf_mask = np.isinf(w)
        inf_row = inf_mask.any(axis=1)
        w[inf_row] = inf_mask[inf_row]
        return w
    return np.asarray(weights(dist), dtype=np.float64)


def _vote(codes, weights, n_columns):
    """Weighted share of the votes per column; rows of zero weight stay zero.

    ``codes`` (n_queries, n_neighbors) holds the column of each neighbour.
    """
    n_queries = codes.shape[0]
    flat = (np.arange(n_queries)[:, None] * n_columns + codes).ravel()
    votes = np.bincount(flat, weights=weights.ravel(), minlength=n_queries * n_columns)
    votes = votes.reshape(n_queries, n_columns)
    total = votes.sum(axis=1, keepdims=True)
    total[total == 0.0] = 1.0
    return votes / total


class DBSCANPredictor(ClusterMixin, BaseEstimator):
    """DBSCAN clustering that can label new samples.

    Fits :class:`~sklearn.cluster.DBSCAN`, then trains a
    :class:`~sklearn.neighbors.KNeighborsClassifier` on the core samples (or on
    all clustered samples, or on every sample) with their cluster labels. A new
    sample gets the cluster its ``n_neighbors`` nearest training samples vote
    for, and the share of the vote of each cluster as its probability. A sample
    farther than ``max_distance`` from every training sample is noise (-1).

    Parameters
    ----------
    eps : float, default=0.5
        The maximum distance between two samples for one to be considered as in
        the neighbourhood of the other (DBSCAN's ``eps``).

    min_samples : int, default=5
        The number of samples (the point itself included) in a neighbourhood for
        a point to be a core sample.

    metric : str or callable, default="euclidean"
        The metric of DBSCAN and of the neighbour vote. With ``"precomputed"``,
        ``fit`` takes a square distance matrix and the prediction methods take
        the distances of the new samples to every sample seen in ``fit``, of
        shape (n_queries, n_samples_fit).

    metric_params : dict, default=None
        Additional keyword arguments for the metric function.

    algorithm : {"auto", "ball_tree", "kd_tree", "brute"}, default="auto"
        The algorithm of the neighbour searches, in DBSCAN and in the vote.

    leaf_size : int, default=30
        Leaf size passed to BallTree or KDTree.

    p : float, default=None
        The power of the Minkowski metric; None means 2 (Euclidean).

    n_jobs : int, default=None
        The number of parallel jobs of the neighbour searches. ``None`` means 1
        unless in a :obj:`joblib.parallel_backend` context.

    n_neighbors : int, default=5
        The number of training samples that vote for a new sample's cluster.
        Capped at the number of training samples.

    weights : {"uniform", "distance"} or callable, default="uniform"
        How the neighbours' votes are weighted, as in
        :class:`~sklearn.neighbors.KNeighborsClassifier`.

    train_on : {"core", "clustered", "all"}, default="core"
        The training samples of the vote: the core samples, every sample in a
        cluster (core and border samples), or every sample, noise included. With
        ``"all"`` noise neighbours vote for noise: a new sample whose vote goes
        to noise is predicted -1.

    max_distance : float, "eps" or None, default="eps"
        A new sample farther than this from its nearest training sample is
        predicted -1. ``"eps"`` uses ``eps``, which with ``train_on="core"`` is
        DBSCAN's own rule (a sample within ``eps`` of a core sample belongs to
        its cluster). ``None`` labels every sample by the vote alone.

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster labels of the training samples; noise is -1.

    core_sample_indices_ : ndarray of shape (n_core_samples,)
        Indices of the core samples.

    components_ : ndarray of shape (n_core_samples, n_features)
        Copy of each core sample found by training.

    classes_ : ndarray of shape (n_clusters,)
        The cluster labels, without -1; the columns of :meth:`predict_proba`.

    train_indices_ : ndarray of shape (n_train_samples,)
        Indices of the samples the neighbour vote was trained on.

    dbscan_ : :class:`~sklearn.cluster.DBSCAN`
        The fitted DBSCAN.

    knn_ : :class:`~sklearn.neighbors.KNeighborsClassifier` or None
        The classifier fitted on the training samples and their labels, or None
        when there is no training sample (no cluster found and ``train_on`` is
        ``"core"`` or ``"clustered"``).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    sklearn.cluster.DBSCAN : The clustering, without ``predict``.
    sklearn.cluster.HDBSCAN : Hierarchical DBSCAN, whose memory does not grow
        with ``eps``.
    sklearn.neighbors.KNeighborsClassifier : The neighbour vote.

    Notes
    -----
    When DBSCAN finds no cluster (every sample is noise) ``fit`` warns, and
    :meth:`predict` labels every sample -1, :meth:`predict_proba` returns an
    array with no column, and (unless ``train_on="all"``) :meth:`score_samples`
    returns ``-inf``, the distance to an empty training set.

    Memory: DBSCAN stores every ``eps``-neighbourhood at once, 8 bytes per pair
    of samples closer than ``eps``: O(n_samples**2) when ``eps`` is large
    against the spread of the data. This estimator adds no more than the
    neighbour vote's training samples, and predicts in batches bounded by
    scikit-learn's ``working_memory``.

    Input must be dense; a sparse matrix is refused with scikit-learn's usual
    ``TypeError``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_moons
    >>> from skdeep.cluster import DBSCANPredictor
    >>> X, _ = make_moons(n_samples=1000, noise=0.05, random_state=42)
    >>> model = DBSCANPredictor(eps=0.2, n_neighbors=50, max_distance=None).fit(X)
    >>> model.classes_
    array([0, 1])
    >>> X_new = np.array([[-0.5, 0], [0, 0.5], [1, -0.1], [2, 1]])
    >>> model.predict(X_new)
    array([1, 0, 1, 0])
    >>> model.predict_proba(X_new)
    array([[0.18, 0.82],
           [1.  , 0.  ],
           [0.12, 0.88],
           [1.  , 0.  ]])
    >>> model.set_params(max_distance=0.2).predict(X_new)
    array([-1,  0,  1, -1])
    """

    _parameter_constraints: dict = {
        **DBSCAN._parameter_constraints,
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "weights": [StrOptions({"uniform", "distance"}), callable],
        "train_on": [StrOptions({"core", "clustered", "all"})],
        "max_distance": [
            Interval(Real, 0.0, None, closed="left"),
            StrOptions({"eps"}),
            None,
        ],
    }

    def __init__(
        self,
        eps=0.5,
        *,
        min_samples=5,
        metric="euclidean",
        metric_params=None,
        algorithm="auto",
        leaf_size=30,
        p=None,
        n_jobs=None,
        n_neighbors=5,
        weights="uniform",
        train_on="core",
        max_distance="eps",
    ):
        self.eps = eps
        self.min_samples = min_samples
        self.metric = metric
        self.metric_params = metric_params
        self.algorithm = algorithm
        self.leaf_size = leaf_size
        self.p = p
        self.n_jobs = n_jobs
        self.n_neighbors = n_neighbors
        self.weights = weights
        self.train_on = train_on
        self.max_distance = max_distance

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Cluster ``X`` with DBSCAN and fit the neighbour vote on the result.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features) or \
                (n_samples, n_samples)
            Training samples, or distances between them if
            ``metric="precomputed"``.

        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        X = validate_data(self, X)
        precomputed = self.metric == "precomputed"
        self.dbscan_ = DBSCAN(
            eps=self.eps,
            min_samples=self.min_samples,
            metric=self.metric,
            metric_params=self.metric_params,
            algorithm=self.algorithm,
            leaf_size=self.leaf_size,
            p=self.p,
            n_jobs=self.n_jobs,
        ).fit(X)
        self.labels_ = self.dbscan_.labels_
        self.core_sample_indices_ = self.dbscan_.core_sample_indices_
        self.components_ = self.dbscan_.components_
        # DBSCAN numbers its clusters 0, 1, ..., so a label is its column.
        self.classes_ = np.unique(self.labels_[self.labels_ >= 0])

        if self.train_on == "core":
            self.train_indices_ = self.core_sample_indices_
            # Reuse DBSCAN's copy of the core samples rather than make another.
            X_train = self.components_
        elif self.train_on == "clustered":
            self.train_indices_ = np.flatnonzero(self.labels_ >= 0)
            X_train = X[self.train_indices_]
        else:
            self.train_indices_ = np.arange(X.shape[0])
            X_train = X
        if precomputed:
            X_train = X_train[:, self.train_indices_]

        if self.classes_.size == 0:
            warnings.warn(
                f"DBSCAN found no cluster: all {X.shape[0]} samples are noise "
                f"(eps={self.eps}, min_samples={self.min_samples}). predict will "
                "label every sample -1; increase eps or decrease min_samples.",
                UserWarning,
                stacklevel=3,
            )

        # Column of each training sample in the vote; noise is the last column.
        train_labels = self.labels_[self.train_indices_]
        self._train_codes = np.where(train_labels < 0, self.classes_.size, train_labels)
        if self.train_indices_.size == 0:
            self.knn_ = None
            return self
        self.knn_ = KNeighborsClassifier(
            n_neighbors=min(self.n_neighbors, self.train_indices_.size),
            weights=self.weights,
            algorithm=self.algorithm,
            leaf_size=self.leaf_size,
            metric=self.metric,
            p=self.p,
            metric_params=self.metric_params,
            n_jobs=self.n_jobs,
        ).fit(X_train, train_labels)
        return self

    def predict(self, X):
        """Predict the cluster of each sample; -1 for noise.

        A sample is labelled by the weighted vote of its ``n_neighbors`` nearest
        training samples (ties go to the lowest cluster label, and with
        ``train_on="all"`` noise wins only with strictly more votes), then -1 if
        it lies farther than ``max_distance`` from every training sample.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or \
                (n_queries, n_samples_fit)
            New samples, or their distances to the samples seen in ``fit`` if
            ``metric="precomputed"``.

        Returns
        -------
        labels : ndarray of shape (n_queries,)
            Cluster labels from ``classes_``, or -1.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        return self._predict(X)

    def predict_proba(self, X):
        """Share of the neighbours' vote that goes to each cluster.

        The probabilities are the vote alone: ``max_distance`` does not change
        them, so a sample that :meth:`predict` calls noise because it is far
        from every training sample still gets the vote of its (far) nearest
        training samples; :meth:`score_samples` tells how far that is. Rows sum
        to 1, except with ``train_on="all"``, where a row sums to 1 minus the
        share of its neighbours that are noise. With no cluster found the
        array has no column.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or \
                (n_queries, n_samples_fit)
            New samples, or their distances to the samples seen in ``fit`` if
            ``metric="precomputed"``.

        Returns
        -------
        proba : ndarray of shape (n_queries, n_clusters)
            Probability of each cluster, columns in the order of ``classes_``.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        n_clusters = self.classes_.size
        proba = np.zeros((X.shape[0], n_clusters))
        if n_clusters == 0:
            return proba
        for batch, votes, _ in self._votes(X):
            proba[batch] = votes[:, :n_clusters]
        return proba

    def score_samples(self, X):
        """Minus the distance of each sample to its nearest training sample.

        The higher, the more typical: this is a novelty score, and
        ``predict(X) == -1`` wherever ``score_samples(X) < -max_distance`` (and,
        with ``train_on="all"``, wherever the vote goes to noise).
        With no training sample (no cluster found, ``train_on`` not ``"all"``)
        every score is ``-inf``.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features) or \
                (n_queries, n_samples_fit)
            New samples, or their distances to the samples seen in ``fit`` if
            ``metric="precomputed"``.

        Returns
        -------
        scores : ndarray of shape (n_queries,)
            Minus the distance to the nearest training sample.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        if self.knn_ is None:
            return np.full(X.shape[0], -np.inf)
        dist = self.knn_.kneighbors(
            self._to_train_space(X), n_neighbors=1, return_distance=True
        )[0]
        return -dist[:, 0]

    def score(self, X, y=None):
        """Agreement with ``y``, or the silhouette of the predicted clusters.

        With ``y``, the adjusted Rand index of ``predict(X)`` against ``y``
        (noise, -1, counts as one more label). Without ``y``, the silhouette
        score of ``predict(X)`` over the samples not predicted noise, so that
        :class:`~sklearn.model_selection.GridSearchCV` can tune ``eps`` and
        ``min_samples`` without labels. The silhouette is undefined with fewer
        than two predicted clusters or with one sample per cluster; the score
        is then -1, the worst silhouette, so a search never prefers a clustering
        it cannot measure. The silhouette ignores noise: settings that call many
        samples noise are not penalised for it.

        Parameters
        ----------
        X : array-like of shape (n_queries, n_features)
            Samples to predict and score. The silhouette needs feature vectors:
            with ``metric="precomputed"`` pass ``y``.

        y : array-like of shape (n_queries,), default=None
            True cluster labels, if known.

        Returns
        -------
        score : float
            Adjusted Rand index with ``y``, silhouette score without; both in
            [-1, 1], higher is better.
        """
        check_is_fitted(self)
        X = validate_data(self, X, reset=False)
        labels = self._predict(X)
        if y is not None:
            return float(adjusted_rand_score(y, labels))
        if self.metric == "precomputed":
            raise ValueError(
                "score without y needs feature vectors; with metric='precomputed' "
                "pass the true labels y, or compute the silhouette from a square "
                "distance matrix with sklearn.metrics.silhouette_score."
            )
        clustered = labels >= 0
        n_clustered = int(clustered.sum())
        n_clusters = np.unique(labels[clustered]).size
        if n_clusters < 2 or n_clusters >= n_clustered:
            return -1.0
        kwargs = dict(self.metric_params or {})
        if self.metric == "minkowski" and self.p is not None:
            kwargs["p"] = self.p
        return float(
            silhouette_score(
                X[clustered], labels[clustered], metric=self.metric, **kwargs
            )
        )

    def _predict(self, X):
        """Labels of validated samples ``X``."""
        labels = np.full(X.shape[0], -1, dtype=np.intp)
        if self.classes_.size == 0:
            return labels
        if self.max_distance == "eps":
            max_distance = self.eps
        else:
            max_distance = self.max_distance
        for batch, votes, nearest in self._votes(X):
            winner = votes.argmax(axis=1)
            # The last column is noise; DBSCAN's cluster labels are their columns.
            batch_labels = np.where(winner == self.classes_.size, -1, winner)
            if max_distance is not None:
                batch_labels[nearest > max_distance] = -1
            labels[batch] = batch_labels
        return labels

    def _votes(self, X):
        """Yield ``(batch, votes, nearest_distance)`` over batches of ``X``.

        ``votes`` has one column per cluster and a last one for noise.
        """
        X = self._to_train_space(X)
        n_columns = self.classes_.size + 1
        k = self.knn_.n_neighbors
        row_bytes = _BYTES_PER_PAIR * max(k, n_columns)
        batch_size = max(1, int(get_config()["working_memory"] * 2**20) // row_bytes)
        for batch in gen_batches(X.shape[0], batch_size):
            dist, ind = self.knn_.kneighbors(X[batch], return_distance=True)
            weights = _neighbor_weights(dist, self.weights)
            votes = _vote(self._train_codes[ind], weights, n_columns)
            yield batch, votes, dist[:, 0]

    def _to_train_space(self, X):
        """Precomputed distances to the fit samples -> to the training samples."""
        if self.metric == "precomputed":
            return X[:, self.train_indices_]
        return X

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.pairwise = self.metric == "precomputed"
        return tags
