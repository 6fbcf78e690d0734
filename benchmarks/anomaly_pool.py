"""The pool of anomaly-detection data sets for the leave-one-dataset-out protocol.

Three families, all built offline and seeded (``POOL_SEED``):

- **ADBench**: the twelve "Classical" sets in ``../shared/data/adbench``.
- **Synthetic anomaly types** (ADBench paper, Han et al. 2022, section 4.3) on the
  normal rows of real tables: California housing (shared copy), breast cancer
  (benign rows), diabetes, wine and digits (bundled with scikit-learn). The
  normal rows are MinMax-scaled first (so that "scale the means by 5" does not
  depend on each table's arbitrary origin); then, with ``ANOMALY_SHARE`` of the
  set anomalous:

  - *local*: a GaussianMixture (components 1..5 chosen by BIC) fitted to the
    normals; anomalies sampled from it with every covariance scaled by 5;
  - *global*: uniform on each feature's range widened by 10 % on each side
    (ADBench's ``[1.1 min, 1.1 max]`` for a range centred on 0);
  - *dependency*: each feature drawn independently from its empirical marginal
    (resampled normal values), which keeps every marginal and breaks the
    dependence between features (ADBench draws the normals from a vine copula
    and the anomalies from per-feature KDEs; resampling is the simple version and
    keeps discrete columns discrete, so no tie-breaking gives them away);
  - *clustered*: the same fitted mixture with its means scaled by 5 and its
    covariances unchanged.

- **Irrelevant features** (ADBench section 4.4): copies of a few of the sets
  above with ``NOISE_FEATURES`` times as many uniform noise columns appended
  (on the set's MinMax-scaled features); each copy is in its source's group.

- **One class against the rest, ODDS-style**: one class, downsampled to
  ``ANOMALY_SHARE`` of the set, is the anomaly; the other classes are normal.
  Digits (raw 8x8 pixel counts: discrete, heavily tied), Fashion-MNIST (20 PCA
  features of 3,000 training images, shared copy) and breast cancer (malignant
  as anomaly: ODDS's WBC).

Every set is subsampled to at most ``MAX_ROWS`` rows (stratified). Each data set
has a *group*, the real table it comes from; the protocol never chooses a default
on a set of the same group as the held-out one.
"""

import copy
import gzip
from pathlib import Path

import numpy as np
from _common import ADBENCH_FILES
from sklearn.datasets import (
    fetch_california_housing,
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_wine,
)
from sklearn.decomposition import PCA
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

POOL_SEED = 0
ANOMALY_SHARE = 0.05
MAX_ROWS = 2000
ALPHA = 5.0
NOISE_FEATURES = 2
NOISY_SOURCES = ("thyroid", "Pima", "breastw", "diabetes-local", "wine-dependency")
ADBENCH = ADBENCH_FILES
SYNTHETIC_TYPES = ("local", "global", "dependency", "clustered")


def subsample(X, y, rng, max_rows=MAX_ROWS):
    """At most ``max_rows`` rows, stratified on ``y``."""
    if X.shape[0] <= max_rows:
        return X, y
    X, _, y, _ = train_test_split(
        X, y, train_size=max_rows, stratify=y, random_state=rng.randint(2**31 - 1)
    )
    return X, y


def _n_anomalies(n_normal):
    return max(10, round(n_normal * ANOMALY_SHARE / (1 - ANOMALY_SHARE)))


def _fit_normal_mixture(X, seed):
    best, best_bic = None, np.inf
    for k in range(1, 6):
        gm = GaussianMixture(k, reg_covar=1e-4, random_state=seed).fit(X)
        bic = gm.bic(X)
        if bic < best_bic:
            best, best_bic = gm, bic
    return best


def synthetic_anomalies(normal, kind, rng, mixture=None):
    """Anomalies of ADBench's type ``kind`` for the (MinMax-scaled) ``normal`` rows.

    ``mixture``: the GaussianMixture fitted to ``normal`` for "local" and
    "clustered" (fitted here when None); it is not modified.
    """
    n = _n_anomalies(normal.shape[0])
    if kind == "global":
        low, high = normal.min(axis=0), normal.max(axis=0)
        pad = 0.1 * (high - low)
        return rng.uniform(low - pad, high + pad, size=(n, normal.shape[1]))
    if kind == "dependency":
        rows = rng.randint(normal.shape[0], size=(n, normal.shape[1]))
        return normal[rows, np.arange(normal.shape[1])]
    gm = mixture if mixture is not None else _fit_normal_mixture(normal, 0)
    gm = copy.deepcopy(gm)
    if kind == "local":
        gm.covariances_ = gm.covariances_ * ALPHA
    elif kind == "clustered":
        gm.means_ = gm.means_ * ALPHA
    else:
        raise ValueError(kind)
    gm.random_state = rng.randint(2**31 - 1)
    return gm.sample(n)[0]


def _fashion_features(data_dir, rng, n_images=3000):
    folder = Path(data_dir) / "keras" / "datasets" / "fashion-mnist"
    with gzip.open(folder / "train-images-idx3-ubyte.gz") as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz") as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)
    rows = rng.choice(images.shape[0], n_images, replace=False)
    features = PCA(20, random_state=0).fit_transform(images[rows] / 255.0)
    return features, labels[rows].astype(int)


def one_class_out(X, labels, anomaly_class, rng):
    """ODDS-style task: ``anomaly_class`` downsampled to the anomaly share."""
    normal = X[labels != anomaly_class]
    anomalies = X[labels == anomaly_class]
    n = min(_n_anomalies(normal.shape[0]), anomalies.shape[0])
    anomalies = anomalies[rng.choice(anomalies.shape[0], n, replace=False)]
    return np.vstack([normal, anomalies]), np.r_[np.zeros(len(normal)), np.ones(n)]


def real_tables(data_dir, rng):
    """Name -> (X, labels or None) of the real tables the synthetic sets start from."""
    california = fetch_california_housing(data_home=None).data
    california = california[rng.choice(california.shape[0], 4000, replace=False)]
    cancer = load_breast_cancer()
    digits = load_digits()
    return {
        "california": california,
        "breast_cancer": cancer.data[cancer.target == 1],
        "diabetes": load_diabetes().data,
        "wine": load_wine().data,
        "digits": digits.data,
    }


def build_pool(data_dir, quick=False):
    """List of dicts ``{name, group, family, X, y}`` (y: 1 = anomaly)."""
    rng = np.random.RandomState(POOL_SEED)
    max_rows = MAX_ROWS // 2 if quick else MAX_ROWS
    pool = []

    def add(name, group, family, X, y):
        X, y = subsample(np.asarray(X, float), np.asarray(y, int), rng, max_rows)
        pool.append({"name": name, "group": group, "family": family, "X": X, "y": y})

    for name, path in ADBENCH.items():
        data = np.load(Path(data_dir) / "adbench" / path)
        add(name, name, "adbench", data["X"], data["y"])
    for source, X in real_tables(data_dir, rng).items():
        normal = MinMaxScaler().fit_transform(X)
        mixture = _fit_normal_mixture(normal, rng.randint(2**31 - 1))
        for kind in SYNTHETIC_TYPES:
            anomalies = synthetic_anomalies(normal, kind, rng, mixture)
            y = np.r_[np.zeros(len(normal)), np.ones(len(anomalies))]
            add(
                f"{source}-{kind}",
                source,
                "synthetic",
                np.vstack([normal, anomalies]),
                y,
            )
    for data in [d for d in pool if d["name"] in NOISY_SOURCES]:
        X = MinMaxScaler().fit_transform(data["X"])
        noise = rng.uniform(size=(X.shape[0], NOISE_FEATURES * X.shape[1]))
        add(
            f"{data['name']}+noise",
            data["group"],
            "irrelevant features",
            np.hstack([X, noise]),
            data["y"],
        )
    digits = load_digits()
    for c in (0, 4, 8):
        X, y = one_class_out(digits.data, digits.target, c, rng)
        add(f"digits-{c}-out", "digits", "one-vs-rest", X, y)
    features, labels = _fashion_features(data_dir, rng)
    for c in (0, 5, 9):
        X, y = one_class_out(features, labels, c, rng)
        add(f"fashion-{c}-out", "fashion", "one-vs-rest", X, y)
    cancer = load_breast_cancer()
    X, y = one_class_out(cancer.data, 1 - cancer.target, 1, rng)
    add("breast_cancer-malignant-out", "breast_cancer", "one-vs-rest", X, y)
    return pool
