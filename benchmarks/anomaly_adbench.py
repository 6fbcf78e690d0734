"""How well does GaussianMixtureAnomalyDetector rank ADBench anomalies, against peers?

Protocol, identical for every detector: for each of 5 seeds, a stratified 70/30
train/test split of the data set, a StandardScaler fitted on the training part,
the detector fitted on the training part (``contaminated``: every training sample,
anomalies included, labels unused; ``clean``: only the training samples labelled
normal, i.e. novelty detection), and the ROC-AUC of ``-score_samples`` on the test
part (anomaly = positive class). All detectors use their default parameters apart
from ``random_state``; LocalOutlierFactor uses ``novelty=True`` so that it scores
the test part. The table gives the mean ROC-AUC over the seeds; the JSON also has
the standard deviation and the median fit time.

A second table answers a calibration question for novelty detection: trained on
the normal training samples with ``contamination=0.05``, what share of the normal
test samples is flagged, with the in-sample threshold (``cv=None``) and with the
cross-fitted one (``cv=5``)? The target is 0.05.

Run from the repository root: ``python benchmarks/anomaly_adbench.py``.
"""

import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.covariance import EllipticEnvelope
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import format_table, use_shared_data, write_results  # noqa: E402

from skdeep.anomaly import GaussianMixtureAnomalyDetector  # noqa: E402

DATASETS = {
    "cardio": "6_cardio.npz",
    "thyroid": "38_thyroid.npz",
    "Pima": "29_Pima.npz",
}
SEEDS = range(5)
SETTINGS = ("contaminated", "clean")


def detectors(seed):
    """Name -> unfitted detector, every one at its defaults apart from the seed."""
    return {
        "GMM": GaussianMixtureAnomalyDetector(random_state=seed),
        "GMM trim": GaussianMixtureAnomalyDetector(
            refit_without_outliers=2, random_state=seed
        ),
        "GMM Bayes": GaussianMixtureAnomalyDetector(
            n_components=10, mixture="bayesian", random_state=seed
        ),
        "IForest": IsolationForest(random_state=seed),
        "LOF": LocalOutlierFactor(novelty=True),
        "EllEnv": EllipticEnvelope(random_state=seed),
        "OCSVM": OneClassSVM(),
    }


def load(name, data_dir):
    data = np.load(data_dir / "adbench" / DATASETS[name])
    return data["X"].astype(float), data["y"].astype(int)


def split(X, y, seed):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def auc_rows(data_dir):
    rows = []
    for name in DATASETS:
        X, y = load(name, data_dir)
        for setting in SETTINGS:
            aucs, fit_times = {}, {}
            for seed in SEEDS:
                X_train, X_test, y_train, y_test = split(X, y, seed)
                if setting == "clean":
                    X_train = X_train[y_train == 0]
                for method, det in detectors(seed).items():
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        # Peers warn on these data (singular covariances, EM not
                        # converged); the warnings do not change the protocol.
                        warnings.simplefilter("ignore")
                        det.fit(X_train)
                        scores = det.score_samples(X_test)
                    fit_times.setdefault(method, []).append(time.perf_counter() - start)
                    aucs.setdefault(method, []).append(roc_auc_score(y_test, -scores))
            row = {"dataset": name, "setting": setting}
            for method, values in aucs.items():
                row[method] = float(np.mean(values))
            best_peer = max(
                row[m] for m in aucs if not m.startswith("GMM") and m in row
            )
            row["GMM - best peer"] = row["GMM"] - best_peer
            row["std"] = {m: float(np.std(v)) for m, v in aucs.items()}
            row["fit_s_median"] = {
                m: float(statistics.median(v)) for m, v in fit_times.items()
            }
            rows.append(row)
            print(name, setting, {m: round(row[m], 3) for m in aucs}, flush=True)
    return rows


def calibration_rows(data_dir, contamination=0.05):
    rows = []
    for name in DATASETS:
        X, y = load(name, data_dir)
        shares = {None: [], 5: []}
        for seed in SEEDS:
            X_train, X_test, y_train, y_test = split(X, y, seed)
            for cv in shares:
                det = GaussianMixtureAnomalyDetector(
                    contamination=contamination, cv=cv, random_state=seed
                )
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    det.fit(X_train[y_train == 0])
                    flagged = det.predict(X_test[y_test == 0]) == -1
                shares[cv].append(float(flagged.mean()))
        rows.append(
            {
                "dataset": name,
                "contamination": contamination,
                "flagged normal, in-sample threshold": float(np.mean(shares[None])),
                "flagged normal, cv=5 threshold": float(np.mean(shares[5])),
            }
        )
    return rows


def main():
    data_dir = use_shared_data()
    rows = auc_rows(data_dir)
    calibration = calibration_rows(data_dir)
    columns = ["dataset", "setting", *detectors(0), "GMM - best peer"]
    print("\nROC-AUC, mean over seeds")
    print(format_table(rows, columns))
    print("\nShare of normal test samples flagged (target: contamination)")
    print(format_table(calibration))
    print()
    write_results(
        "anomaly_adbench",
        [{c: row[c] for c in columns} for row in rows],
        question="ROC-AUC of GaussianMixtureAnomalyDetector against peers on ADBench",
        protocol=__doc__.split("\n\n")[1].replace("\n", " "),
        seeds=list(SEEDS),
        details=rows,
        calibration=calibration,
    )


if __name__ == "__main__":
    main()
