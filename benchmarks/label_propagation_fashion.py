"""Does ClusterPropagationClassifier's default beat LabelSpreading on Fashion-MNIST?

The second image set of the propagation question (the first is digits, in
``label_propagation_digits.py``): a fixed random subset of Fashion-MNIST, 5000
training and 2000 test images (pixels / 255), 100 labels given to the cluster
representatives of KMeans with k=100 (``select_representatives``, one per
cluster). Rows: the default (``propagation="consensus"``, calibrated SVC), the
``"spreading"`` and ``"graph"`` modes with the same estimator, the book's default
(``propagation="percentile"`` with ``LogisticRegression(max_iter=1000)``), the
representatives alone, and scikit-learn's ``LabelSpreading(kernel="knn",
n_neighbors=7)`` given the same 100 labels. Mean +- sd of test accuracy over the
seeds (KMeans ``random_state``); every method of a seed uses the same labels.

    python benchmarks/label_propagation_fashion.py [--quick]

Reads the Keras cache layout (``$KERAS_HOME/datasets/fashion-mnist``, pointed at
``../shared/data/keras`` when it exists) with NumPy, so TensorFlow is not needed.
"""

import argparse
import gzip
import os
import time
from pathlib import Path

import numpy as np
from _common import use_shared_data, write_results
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading

from skdeep.semi_supervised import ClusterPropagationClassifier

K = 100
N_TRAIN, N_TEST = 5000, 2000


def _read(path, offset):
    with gzip.open(path) as fh:
        return np.frombuffer(fh.read(), np.uint8, offset=offset)


def load():
    """The fixed 5000 / 2000 subset of Fashion-MNIST, pixels scaled to [0, 1]."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    folder = home / "datasets" / "fashion-mnist"
    X_a = _read(folder / "train-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    y_a = _read(folder / "train-labels-idx1-ubyte.gz", 8).astype(int)
    X_b = _read(folder / "t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784)
    y_b = _read(folder / "t10k-labels-idx1-ubyte.gz", 8).astype(int)
    rng = np.random.RandomState(0)
    train = rng.choice(X_a.shape[0], N_TRAIN, replace=False)
    test = rng.choice(X_b.shape[0], N_TEST, replace=False)
    return X_a[train] / 255.0, X_b[test] / 255.0, y_a[train], y_b[test]


def run_seed(data, seed):
    """Test accuracy (and fit seconds) of every method for one seed."""
    X_tr, X_te, y_tr, y_te = data
    default = ClusterPropagationClassifier(n_clusters=K, random_state=seed)
    reps = default.select_representatives(X_tr)
    y = np.full(X_tr.shape[0], -1)
    y[reps] = y_tr[reps]
    methods = {
        "default (consensus, calibrated SVC)": default,
        "spreading, calibrated SVC": ClusterPropagationClassifier(
            n_clusters=K, propagation="spreading", random_state=seed
        ),
        "graph, calibrated SVC": ClusterPropagationClassifier(
            n_clusters=K, propagation="graph", random_state=seed
        ),
        "book (percentile 20, LogReg)": ClusterPropagationClassifier(
            LogisticRegression(max_iter=1000),
            n_clusters=K,
            propagation="percentile",
            random_state=seed,
        ),
        "100 representatives, calibrated SVC": ClusterPropagationClassifier(
            n_clusters=K, propagation="none", random_state=seed
        ),
        "peer: LabelSpreading (knn, 7)": LabelSpreading(kernel="knn", n_neighbors=7),
    }
    out = {}
    for name, model in methods.items():
        start = time.perf_counter()
        model.fit(X_tr, y)
        out[name + " [fit s]"] = time.perf_counter() - start
        out[name] = model.score(X_te, y_te)
        if hasattr(model, "propagated_mask_"):
            has = model.transduction_ != -1
            out[name + " [label acc]"] = np.mean(model.transduction_[has] == y_tr[has])
            out[name + " [n trained]"] = int(has.sum())
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 seed, not 3")
    args = parser.parse_args()
    use_shared_data()
    n_seeds = 1 if args.quick else 3
    data = load()
    per_seed = []
    for seed in range(n_seeds):
        per_seed.append(run_seed(data, seed))
        print(f"seed {seed} done", flush=True)
    rows = []
    peer = np.array([r["peer: LabelSpreading (knn, 7)"] for r in per_seed])
    for method in per_seed[0]:
        if "[" in method:
            continue
        acc = np.array([r[method] for r in per_seed])
        row = {
            "method": method,
            "accuracy mean": round(float(acc.mean()), 4),
            "accuracy sd": round(float(acc.std(ddof=1)), 4),
            "minus LabelSpreading (paired mean)": round(float((acc - peer).mean()), 4),
            "fit s (median)": round(
                float(np.median([r[method + " [fit s]"] for r in per_seed])), 2
            ),
        }
        if method + " [label acc]" in per_seed[0]:
            row["propagated label acc"] = round(
                float(np.mean([r[method + " [label acc]"] for r in per_seed])), 4
            )
            row["n trained"] = round(
                float(np.mean([r[method + " [n trained]"] for r in per_seed])), 1
            )
        rows.append(row)
    write_results(
        "label_propagation_fashion",
        rows,
        n_seeds=n_seeds,
        n_clusters=K,
        n_train=N_TRAIN,
        n_test=N_TEST,
        per_seed=per_seed,
        command="python benchmarks/label_propagation_fashion.py",
    )


if __name__ == "__main__":
    main()
