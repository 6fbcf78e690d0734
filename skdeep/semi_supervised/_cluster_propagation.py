"""Semi-supervised classification by clustering and label propagation."""

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    _fit_context,
    clone,
)
from sklearn.calibration import CalibratedClassifierCV
from sklearn.cluster import KMeans
from sklearn.linear_model import LogisticRegression
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.neighbors import NearestNeighbors
from sklearn.semi_supervised import LabelSpreading
from sklearn.svm import SVC
from sklearn.utils import check_array, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep.semi_supervised._active_learning import query_indices
from skdeep.utils._random import canonical_order, without_global

UNLABELLED = -1

# ---------------------------------------------------------------------------
# Pure functions: no state, no validation.
# ---------------------------------------------------------------------------


def _unlabelled_mask(y, marker=UNLABELLED):
    """Return the boolean mask of unlabelled samples (``y == marker``).

    Numeric ``y`` compares with a numeric ``marker``; object ``y`` compares each
    element with ``marker`` and its type (scikit-learn's rule for string labels:
    the integer -1 in an object array). A string ``str(marker)`` in string labels
    is rejected for a non-string marker: it is almost certainly a marker that lost
    its type when the array was built.
    """
    y = np.asarray(y)
    marker_is_str = isinstance(marker, str)
    if y.dtype.kind in "OUS" and not marker_is_str:
        as_str = np.array([isinstance(v, str) and v == str(marker) for v in y.tolist()])
        if as_str.any():
            raise ValueError(
                f"y contains the string {str(marker)!r}. Unlabelled samples are "
                f"marked with {marker!r}: use an object array, e.g. "
                f"np.array(['a', {marker!r}], dtype=object)."
            )
    if y.dtype.kind in "OUS":
        return np.array([_is_marker(v, marker) for v in y.tolist()], dtype=bool)
    if marker_is_str:
        return np.zeros(y.shape[0], dtype=bool)
    return y == marker


def _is_marker(value, marker):
    if isinstance(marker, str):
        return isinstance(value, str) and value == marker
    return (
        not isinstance(value, (str, bytes, bool, np.bool_))
        and isinstance(value, (Integral, Real))
        and value == marker
    )


def _infer_label_dtype(labels):
    """Numeric array for an object array of numbers (a string marker removed)."""
    if labels.dtype.kind == "O" and all(
        isinstance(v, (Integral, Real)) and not isinstance(v, (bool, np.bool_))
        for v in labels.tolist()
    ):
        return np.asarray(labels.tolist())
    return labels


def _cluster_distances(X, cluster_labels, centers):
    """Distance of every sample to the centre of its own cluster (inf for noise).

    ``centers`` has one row per cluster id; ``None`` means the mean of the
    cluster's members.
    """
    distances = np.full(X.shape[0], np.inf)
    for cluster in np.unique(cluster_labels[cluster_labels >= 0]):
        members = np.flatnonzero(cluster_labels == cluster)
        if centers is not None:
            center = centers[cluster][np.newaxis, :]
        else:
            center = np.asarray(X[members].mean(axis=0)).reshape(1, -1)
        distances[members] = euclidean_distances(X[members], center).ravel()
    return distances


def _representatives(cluster_labels, distances):
    """Index of the sample closest to its centre in each cluster, by cluster id."""
    clusters = np.unique(cluster_labels[cluster_labels >= 0])
    out = np.empty(clusters.shape[0], dtype=np.intp)
    for i, cluster in enumerate(clusters):
        members = np.flatnonzero(cluster_labels == cluster)
        out[i] = members[np.argmin(distances[members])]
    return out


def _cluster_votes(cluster_labels, y_encoded, labelled, distances, n_classes):
    """Majority label of each cluster's labelled samples.

    Returns ``(winner, fractions)`` indexed by cluster id: ``winner[c]`` is the
    encoded majority class (-1 when the cluster has no labelled sample) and
    ``fractions[c]`` the share of the cluster's labelled samples per class. Ties go
    to the tied class whose labelled sample is closest to the cluster centre.
    """
    n_ids = int(cluster_labels.max()) + 1 if cluster_labels.size else 0
    winner = np.full(n_ids, -1, dtype=np.intp)
    fractions = np.zeros((n_ids, n_classes))
    for cluster in range(n_ids):
        in_cluster = labelled & (cluster_labels == cluster)
        if not in_cluster.any():
            continue
        counts = np.bincount(y_encoded[in_cluster], minlength=n_classes)
        fractions[cluster] = counts / counts.sum()
        tied = np.flatnonzero(counts == counts.max())
        if tied.size == 1:
            winner[cluster] = tied[0]
        else:
            idx = np.flatnonzero(in_cluster & np.isin(y_encoded, tied))
            winner[cluster] = y_encoded[idx[np.argmin(distances[idx])]]
    return winner, fractions


def _percentile_mask(cluster_labels, distances, percentile):
    """Samples within the ``percentile``-th distance percentile of their cluster."""
    mask = np.zeros(cluster_labels.shape[0], dtype=bool)
    for cluster in np.unique(cluster_labels[cluster_labels >= 0]):
        members = cluster_labels == cluster
        cutoff = np.percentile(distances[members], percentile)
        mask |= members & (distances <= cutoff)
    return mask


def _neighbour_agreement(X, labels, n_neighbors):
    """Share of each sample's ``n_neighbors`` nearest neighbours with its label.

    ``labels`` is encoded; -1 entries (no label) count as disagreeing neighbours
    and get agreement 0 themselves.
    """
    n_neighbors = min(n_neighbors, X.shape[0] - 1)
    if n_neighbors < 1:
        return np.where(labels >= 0, 1.0, 0.0)
    neighbours = (
        NearestNeighbors(n_neighbors=n_neighbors + 1)
        .fit(X)
        .kneighbors(X, return_distance=False)
    )
    # drop each sample itself; with duplicates "itself" may be another index, which
    # is harmless because a duplicate carries the same propagated label
    neighbours = neighbours[:, 1:]
    agreement = (labels[neighbours] == labels[:, np.newaxis]).mean(axis=1)
    return np.where(labels >= 0, agreement, 0.0)


def _spread_labels(X, labels, n_classes, n_neighbors):
    """Label spreading over the ``n_neighbors`` graph from the encoded ``labels``.

    Returns ``(spread, distributions)``: the spread label of every sample (-1
    where no labelled sample reaches it) and the normalised label distributions
    (zero rows there). scikit-learn's LabelSpreading with its defaults
    (``alpha=0.2``) does the spreading; it converges in a few tens of iterations.
    """
    n_neighbors = min(n_neighbors, X.shape[0] - 1)
    present = np.unique(labels[labels >= 0])
    if n_neighbors < 1 or present.size < 2:
        # too few samples for a graph, or one class: every reachable sample gets it
        spread = np.where(labels >= 0, labels, present[0])
        distributions = np.zeros((X.shape[0], n_classes))
        distributions[np.arange(X.shape[0]), spread] = 1.0
        return spread, distributions
    spreading = LabelSpreading(kernel="knn", n_neighbors=n_neighbors, max_iter=1000)
    spreading.fit(X, labels)
    raw = np.zeros((X.shape[0], n_classes))
    raw[:, spreading.classes_] = spreading.label_distributions_
    total = raw.sum(axis=1, keepdims=True)
    reached = (total[:, 0] > 0) & np.all(np.isfinite(raw), axis=1)
    distributions = np.where(reached[:, np.newaxis], raw / np.where(total, total, 1), 0)
    spread = np.where(reached, distributions.argmax(axis=1), -1)
    return spread, distributions


def _default_estimator(y=None, random_state=None):
    """The classifier trained when ``estimator`` is None, for training labels ``y``.

    An SVC calibrated by cross-validation (``predict_proba`` for the queries),
    with at most 5 stratified folds and at least 2 samples of each class per
    fold set. A class with a single training label cannot be calibrated: then
    the book's ``LogisticRegression(max_iter=1000)`` is used. libsvm draws a
    seed from ``random_state`` at every fit (NumPy's global generator for None),
    so the caller passes a local one.
    """
    svc = SVC(random_state=random_state)
    if y is None:
        return CalibratedClassifierCV(svc, ensemble=False)
    smallest = np.unique(y, return_counts=True)[1].min()
    if smallest < 2:
        return LogisticRegression(max_iter=1000)
    return CalibratedClassifierCV(svc, ensemble=False, cv=int(min(5, smallest)))


def _estimator_has(attr):
    """Check the fitted ``estimator_`` if present, else the ``estimator`` param."""

    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        if self.estimator is None:
            return hasattr(_default_estimator(), attr)
        return hasattr(self.estimator, attr)

    return check


class ClusterPropagationClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    """Semi-supervised classifier that propagates labels through clusters.

    All samples, labelled or not, are clustered (KMeans by default). The labelled
    samples of each cluster vote on a label, which is propagated to the cluster's
    unlabelled samples, and a clone of ``estimator`` is trained on the given plus
    propagated labels. By default (``propagation="consensus"``) a propagated label
    is kept only where the sample's nearest neighbours agree with it, label
    spreading over the nearest-neighbour graph labels the samples left over, and
    a label is dropped where label spreading from the given labels alone
    gives another; the book's modes (all of a cluster, or only the samples
    closest to its centre) are available. Label the samples returned by
    :meth:`select_representatives` (the sample closest to each centroid) for the
    best result from a small labelling budget.

    Parameters
    ----------
    estimator : estimator object, default=None
        A classifier implementing ``fit``; cloned into ``estimator_`` and trained
        on the propagated labels. ``None`` means
        ``CalibratedClassifierCV(SVC(), ensemble=False, cv=min(5, c))``, ``c``
        the smallest class count of the training labels: the SVC predicts, the
        calibration gives ``predict_proba`` for :meth:`query`. When a class has
        a single training label it cannot be calibrated and
        ``LogisticRegression(max_iter=1000)`` is used. The book used
        ``LogisticRegression``: pass it to reproduce the book.

    n_clusters : int, default=50
        Number of KMeans clusters. Used only when ``clusterer`` is None. When it
        exceeds the number of training samples it is clipped to that number, with
        a warning; the value used is ``n_clusters_``.

    propagation : {"consensus", "spreading", "graph", "percentile", "cluster", \
            "none"}, default="consensus"
        Which unlabelled samples receive a label:

        - ``"consensus"``: the ``"spreading"`` labels, except where
          :class:`~sklearn.semi_supervised.LabelSpreading` from the given labels
          alone (over the same ``n_neighbors`` graph) gives another label: those
          samples stay unlabelled. Two views of the data -- the clusters' votes and the
          neighbour graph -- must agree before a label is trained on.
        - ``"spreading"``: the ``"graph"`` labels, then label spreading
          (:class:`~sklearn.semi_supervised.LabelSpreading` over the
          ``n_neighbors`` graph) from the given and kept propagated labels
          labels every remaining sample it reaches (noise excepted). The cluster
          votes label the well-clustered bulk; the graph labels the border
          samples that the neighbour check dropped.
        - ``"percentile"``: those within the ``percentile``-th percentile of
          distance to the centre of their cluster (the book's partial
          propagation; border samples are more often wrong).
        - ``"cluster"``: every sample of the cluster.
        - ``"graph"``: every sample of the cluster, then samples whose
          ``n_neighbors`` nearest neighbours (over all clusters) mostly carry a
          different label are dropped again: a propagated label is kept when at
          least ``agreement`` of the neighbours share it.
        - ``"none"``: no propagation; the estimator sees the given labels only.

        The book's modes are ``"percentile"`` (partial propagation) and
        ``"cluster"`` (full propagation).

    percentile : float, default=20
        Percentage in (0, 100] of each cluster, closest to its centre, that
        receives the label with ``propagation="percentile"``.

    n_neighbors : int, default=7
        Neighbourhood size of ``propagation="graph"``, ``"spreading"`` and
        ``"consensus"`` (the neighbour check and both label spreadings), as
        :class:`~sklearn.semi_supervised.LabelSpreading`'s ``n_neighbors``.

    agreement : float, default=0.8
        Smallest share of neighbours that must agree with a propagated label for
        it to be kept with ``propagation="graph"``, ``"spreading"`` and
        ``"consensus"``.

    clusterer : estimator object, default=None
        A clustering estimator implementing ``fit`` and exposing ``labels_``
        (noise, labelled -1, is never propagated to); cloned into ``clusterer_``.
        Centres are its ``cluster_centers_`` when it has them, else the means of
        the clusters. ``None`` means ``KMeans(n_clusters, random_state)``.

    unlabelled_label : int, float or str, default=-1
        Value of ``y`` that marks an unlabelled sample (scikit-learn's
        convention is -1; for string labels, the integer -1 in an object
        array). Change it when -1 is a real class, e.g. sentiment labels
        {-1, 0, 1}, or to a string such as ``"?"`` for string labels.

    random_state : int, RandomState instance or None, default=None
        Seed of the default KMeans. Pass an int for reproducible clusters (and
        the same clusters in :meth:`select_representatives` and :meth:`fit`).

    Attributes
    ----------
    estimator_ : estimator object
        The classifier trained on the given and propagated labels.

    clusterer_ : estimator object
        The fitted clustering estimator.

    n_clusters_ : int
        Number of clusters found (excluding noise).

    classes_ : ndarray of shape (n_classes,)
        Class labels (the unlabelled marker excluded).

    cluster_labels_ : ndarray of shape (n_samples,)
        Cluster of every training sample (-1 for noise).

    transduction_ : ndarray of shape (n_samples,)
        Label used for every training sample: the given label, the propagated
        label, or ``unlabelled_label`` where there is none (those samples are not
        used to train ``estimator_``).

    propagated_mask_ : ndarray of shape (n_samples,)
        True where ``transduction_`` holds a propagated (not a given) label.

    label_distributions_ : ndarray of shape (n_samples, n_classes)
        Per sample, the share of its cluster's labelled samples in each class:
        one-hot for given labels, the cluster's vote for propagated samples, the
        normalised spread distribution for samples labelled by spreading, and
        zeros where no label was assigned. Its row maximum is the confidence of
        the propagated label.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X` has
        feature names that are all strings.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : Self-training meta-estimator.
    sklearn.semi_supervised.LabelSpreading : Graph-based label spreading.
    skdeep.semi_supervised.LabelledKFold : Cross-validation that tests on
        labelled samples only.

    Notes
    -----
    Given labels are never overwritten. When the labelled samples of a cluster
    disagree, the cluster takes the majority label; a tie goes to the tied class
    whose labelled sample is closest to the centre. Clusters without a labelled
    sample stay unlabelled. :meth:`score` ignores samples whose ``y`` is -1.

    References
    ----------
    A. Géron, *Hands-On Machine Learning with Scikit-Learn, Keras and
    TensorFlow*, chapter 9, "Using Clustering for Semi-Supervised Learning".

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import make_blobs
    >>> from skdeep.semi_supervised import ClusterPropagationClassifier
    >>> X, y_true = make_blobs(n_samples=60, centers=3, cluster_std=0.5, random_state=0)
    >>> clf = ClusterPropagationClassifier(n_clusters=3, random_state=0)
    >>> first = clf.select_representatives(X)  # ask a human to label these
    >>> y = np.full(60, -1)
    >>> y[first] = y_true[first]
    >>> clf.fit(X, y).score(X, y_true)
    1.0
    >>> int(clf.propagated_mask_.sum())  # the 3 given labels and 1 disputed left out
    56
    >>> book = ClusterPropagationClassifier(
    ...     n_clusters=3, propagation="percentile", random_state=0
    ... ).fit(X, y)
    >>> int(book.propagated_mask_.sum())  # the 20% closest of each cluster
    9
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit"]), None],
        "n_clusters": [Interval(Integral, 1, None, closed="left")],
        "propagation": [
            StrOptions(
                {"consensus", "spreading", "graph", "percentile", "cluster", "none"}
            )
        ],
        "percentile": [Interval(Real, 0, 100, closed="right")],
        "n_neighbors": [Interval(Integral, 1, None, closed="left")],
        "agreement": [Interval(Real, 0, 1, closed="both")],
        "clusterer": [HasMethods(["fit"]), None],
        "unlabelled_label": [Real, str],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        n_clusters=50,
        propagation="consensus",
        percentile=20,
        n_neighbors=7,
        agreement=0.8,
        clusterer=None,
        unlabelled_label=-1,
        random_state=None,
    ):
        self.estimator = estimator
        self.n_clusters = n_clusters
        self.propagation = propagation
        self.percentile = percentile
        self.n_neighbors = n_neighbors
        self.agreement = agreement
        self.clusterer = clusterer
        self.unlabelled_label = unlabelled_label
        self.random_state = random_state

    @_fit_context(
        # estimator and clusterer are validated when they are fitted
        prefer_skip_nested_validation=False
    )
    def fit(self, X, y):
        """Cluster ``X``, propagate the labels of ``y`` and fit the estimator.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data, labelled and unlabelled.

        y : array-like of shape (n_samples,)
            Labels; ``unlabelled_label`` (default -1) marks unlabelled samples.
            For string labels use an object array with the integer -1, or set
            ``unlabelled_label`` to a string.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        X, y = validate_data(self, X, y, accept_sparse=["csr", "csc"])
        unlabelled = _unlabelled_mask(y, self.unlabelled_label)
        labelled = ~unlabelled
        if not labelled.any():
            raise ValueError(
                "y contains no labeled samples: at least one sample needs a label "
                f"other than unlabelled_label={self.unlabelled_label!r}."
            )
        if not unlabelled.any():
            warnings.warn("y contains no unlabeled samples", UserWarning, stacklevel=2)
        y_labelled = _infer_label_dtype(y[labelled])
        check_classification_targets(y_labelled)
        classes, y_encoded_l = np.unique(y_labelled, return_inverse=True)
        y_encoded = np.full(y.shape[0], -1, dtype=np.intp)
        y_encoded[labelled] = y_encoded_l
        n_classes = classes.shape[0]

        self.clusterer_, self.cluster_labels_ = self._fit_clusterer(X)
        found = self.cluster_labels_[self.cluster_labels_ >= 0]
        self.n_clusters_ = int(np.unique(found).size)
        distances = _cluster_distances(X, self.cluster_labels_, self._centers())

        in_cluster = self.cluster_labels_ >= 0
        winner, fractions = _cluster_votes(
            self.cluster_labels_, y_encoded, labelled, distances, n_classes
        )
        propagated = np.full(y.shape[0], -1, dtype=np.intp)
        propagated[in_cluster] = winner[self.cluster_labels_[in_cluster]]
        target = unlabelled & (propagated >= 0)
        if self.propagation == "none":
            target[:] = False
        elif self.propagation == "percentile":
            target &= _percentile_mask(self.cluster_labels_, distances, self.percentile)
        elif self.propagation in ("graph", "spreading", "consensus"):
            candidate = np.where(labelled, y_encoded, np.where(target, propagated, -1))
            agreement = _neighbour_agreement(X, candidate, self.n_neighbors)
            target &= agreement >= self.agreement
        distributions = np.zeros((y.shape[0], n_classes))
        distributions[target] = fractions[self.cluster_labels_[target]]
        if self.propagation in ("spreading", "consensus"):
            seeds = np.where(target, propagated, y_encoded)
            spread, spread_distributions = _spread_labels(
                X, seeds, n_classes, self.n_neighbors
            )
            filled = unlabelled & ~target & in_cluster & (spread >= 0)
            propagated = np.where(filled, spread, propagated)
            distributions[filled] = spread_distributions[filled]
            target |= filled
        if self.propagation == "consensus":
            independent, _ = _spread_labels(X, y_encoded, n_classes, self.n_neighbors)
            # a sample the given labels do not reach is not disputed
            disputed = target & (independent >= 0) & (propagated != independent)
            target &= ~disputed
            distributions[disputed] = 0.0

        transduction_encoded = np.where(target, propagated, y_encoded)
        distributions[labelled] = 0.0
        distributions[labelled, y_encoded[labelled]] = 1.0

        has_label = transduction_encoded >= 0
        transduction = y.copy()
        transduction[target] = classes[propagated[target]]
        self.transduction_ = transduction
        self.propagated_mask_ = target
        self.label_distributions_ = distributions

        rows = np.flatnonzero(has_label)
        rows = rows[canonical_order(X[rows])]  # the same fit for any row order
        self.estimator_ = (
            _default_estimator(
                transduction_encoded[rows], without_global(self.random_state)
            )
            if self.estimator is None
            else clone(self.estimator)
        )
        self.estimator_.fit(X[rows], classes[transduction_encoded[rows]])
        self.classes_ = getattr(self.estimator_, "classes_", classes)
        return self

    def select_representatives(self, X):
        """Indices of the samples a human should label first.

        Clusters ``X`` as :meth:`fit` would (a fresh clone of the clusterer; the
        estimator itself is not changed) and returns, for each cluster, the
        index of the sample closest to its centre.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            The data to be labelled, usually the ``X`` later passed to ``fit``.

        Returns
        -------
        indices : ndarray of shape (n_clusters_found,)
            Row indices into ``X``, ordered by cluster id.
        """
        X = check_array(X, accept_sparse=["csr", "csc"])
        clusterer, cluster_labels = self._fit_clusterer(X)
        distances = _cluster_distances(X, cluster_labels, self._centers(clusterer))
        return _representatives(cluster_labels, distances)

    @available_if(_estimator_has("predict_proba"))
    def query(self, X_pool, n_instances=1, strategy="uncertainty", diverse=False):
        """Indices of the pool samples the model is least sure about.

        Parameters
        ----------
        X_pool : {array-like, sparse matrix} of shape (n_samples, n_features)
            Candidate samples (usually the still-unlabelled training samples).

        n_instances : int, default=1
            Number of indices to return (fewer if the pool, or with
            ``diverse=True`` the number of clusters it covers, is smaller).

        strategy : {"uncertainty", "margin", "entropy"}, default="uncertainty"
            ``"uncertainty"`` ranks by 1 - highest probability, ``"margin"`` by the
            smallest gap between the two highest probabilities and
            ``"entropy"`` by the entropy of the predicted distribution.

        diverse : bool, default=False
            If True, return at most one sample per cluster (the most uncertain
            of each, clusters assigned by ``clusterer_``), most uncertain first.

        Returns
        -------
        indices : ndarray of shape (n_returned,)
            Row indices into ``X_pool``, most uncertain first.
        """
        check_is_fitted(self)
        X_pool = validate_data(self, X_pool, accept_sparse=["csr", "csc"], reset=False)
        proba = self.estimator_.predict_proba(X_pool)
        groups = self._assign_clusters(X_pool) if diverse else None
        return query_indices(proba, n_instances, strategy, groups=groups)

    @available_if(_estimator_has("predict"))
    def predict(self, X):
        """Predict the class of each sample with ``estimator_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predicted classes.
        """
        X = self._validate_predict(X)
        return self.estimator_.predict(X)

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities from ``estimator_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_``.
        """
        X = self._validate_predict(X)
        return self.estimator_.predict_proba(X)

    @available_if(_estimator_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """Log class probabilities from ``estimator_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log probabilities in the order of ``classes_``.
        """
        X = self._validate_predict(X)
        return self.estimator_.predict_log_proba(X)

    @available_if(_estimator_has("decision_function"))
    def decision_function(self, X):
        """Decision function of ``estimator_``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            The estimator's decision function.
        """
        X = self._validate_predict(X)
        return self.estimator_.decision_function(X)

    @available_if(_estimator_has("score"))
    def score(self, X, y, sample_weight=None):
        """Score of ``estimator_`` on the labelled samples of ``(X, y)``.

        Samples whose ``y`` is ``unlabelled_label`` are left out, so that
        cross-validation on partly labelled data (``GridSearchCV`` with the
        default scoring) measures real labels only.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Samples.

        y : array-like of shape (n_samples,)
            True labels, ``unlabelled_label`` for unlabelled samples.

        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            ``estimator_.score`` on the labelled samples.
        """
        X = self._validate_predict(X)
        y = np.asarray(y)
        keep = ~_unlabelled_mask(y, self.unlabelled_label)
        if not keep.any():
            raise ValueError("y contains no labeled samples to score.")
        kwargs = {}
        if sample_weight is not None:
            kwargs["sample_weight"] = np.asarray(sample_weight)[keep]
        return self.estimator_.score(X[np.flatnonzero(keep)], y[keep], **kwargs)

    def _validate_predict(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse=["csr", "csc"], reset=False)

    def _fit_clusterer(self, X):
        """Fit a fresh clusterer on ``X``; return it and the cluster labels."""
        if self.clusterer is None:
            n_clusters = self.n_clusters
            if n_clusters > X.shape[0]:
                warnings.warn(
                    f"n_clusters={n_clusters} is larger than n_samples="
                    f"{X.shape[0]}; using n_clusters={X.shape[0]} (one cluster per "
                    "sample, so no cluster propagates a label).",
                    UserWarning,
                    stacklevel=3,
                )
                n_clusters = X.shape[0]
            clusterer = KMeans(
                n_clusters=n_clusters, random_state=without_global(self.random_state)
            )
        else:
            clusterer = clone(self.clusterer)
        clusterer.fit(X)
        cluster_labels = np.asarray(clusterer.labels_, dtype=np.intp)
        return clusterer, cluster_labels

    def _centers(self, clusterer=None):
        clusterer = self.clusterer_ if clusterer is None else clusterer
        return getattr(clusterer, "cluster_centers_", None)

    def _assign_clusters(self, X):
        """Cluster of each row of ``X``: ``clusterer_.predict`` or nearest centre."""
        if hasattr(self.clusterer_, "predict"):
            return np.asarray(self.clusterer_.predict(X))
        ids = np.unique(self.cluster_labels_[self.cluster_labels_ >= 0])
        centers = self._centers()
        if centers is None:
            raise ValueError(
                "diverse=True needs a clusterer with predict or cluster_centers_."
            )
        return ids[np.argmin(euclidean_distances(X, centers[ids]), axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator = _default_estimator() if self.estimator is None else self.estimator
        tags.input_tags.sparse = get_tags(estimator).input_tags.sparse
        return tags
