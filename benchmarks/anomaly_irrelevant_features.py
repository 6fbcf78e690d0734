"""Does one mixture per feature find anomalies that irrelevant features hide?

Synthetic case (issue 23, point 2): 380 normal rows whose 2 relevant features are
N(0, 1), 20 anomalies shifted in those 2 features (N(2.5, 0.5)), then uniform noise
features; every feature MinMax-scaled to [0, 1]. Each detector is fitted on all the
rows without labels (seed 0) and scored by the ROC-AUC of ``-score_samples`` on
them; data seeds 0-3 (seed 0 with 18 noise features is the test
``test_independent_features_find_anomalies_among_irrelevant_features``). The
reference is the default fitted on the 2 relevant features alone. One thread.

Run from the repository root:
``nice -n 10 python benchmarks/anomaly_irrelevant_features.py``
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import write_results  # noqa: E402

from skdeep.anomaly import GaussianMixtureAnomalyDetector  # noqa: E402

N_NOISE = (18, 48)
DATA_SEEDS = range(4)
LABELS = np.r_[np.zeros(380), np.ones(20)]


def make(seed, n_noise):
    rng = np.random.RandomState(seed)
    normal = rng.normal(size=(380, 2))
    anomalies = rng.normal(2.5, 0.5, size=(20, 2))
    X = np.hstack([np.vstack([normal, anomalies]), rng.uniform(size=(400, n_noise))])
    return (X - X.min(axis=0)) / np.ptp(X, axis=0)


def detectors():
    """{name: (detector, columns it sees)}."""

    def gmm(**params):
        return GaussianMixtureAnomalyDetector(
            contamination=0.05, random_state=0, **params
        )

    every = slice(None)
    return {
        "default (joint)": (gmm(), every),
        'covariance_type="diag"': (gmm(covariance_type="diag"), every),
        "independent_features=True": (gmm(independent_features=True), every),
        "IsolationForest": (IsolationForest(random_state=0), every),
        "default, 2 relevant features only": (gmm(), slice(0, 2)),
    }


def main():
    rows = []
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n_noise in N_NOISE:
            aucs, fits = {}, {}
            for seed in DATA_SEEDS:
                X = make(seed, n_noise)
                for name, (det, columns) in detectors().items():
                    start = time.perf_counter()
                    det.fit(X[:, columns])
                    fits.setdefault(name, []).append(time.perf_counter() - start)
                    scores = det.score_samples(X[:, columns])
                    aucs.setdefault(name, []).append(roc_auc_score(LABELS, -scores))
            for name in aucs:
                rows.append(
                    {
                        "features": f"2 of {n_noise + 2}",
                        "detector": name,
                        "mean ROC-AUC": float(np.mean(aucs[name])),
                        "min": float(np.min(aucs[name])),
                        "max": float(np.max(aucs[name])),
                        "median fit s": float(np.median(fits[name])),
                    }
                )
    write_results(
        "anomaly_irrelevant_features",
        rows,
        question=__doc__.splitlines()[0],
        protocol=__doc__.split("\n\n")[1].replace("\n", " "),
        data_seeds=list(DATA_SEEDS),
        command="nice -n 10 python benchmarks/anomaly_irrelevant_features.py",
    )


if __name__ == "__main__":
    main()
