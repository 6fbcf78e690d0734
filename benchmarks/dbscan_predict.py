"""Does DBSCANPredictor.predict label new points as a DBSCAN refit on all points would?

For moons and blobs-with-noise at 1k, 10k and 100k samples: fit DBSCANPredictor on
80% of the points, predict the 20% held back, and compare with the labels a DBSCAN
refit on all the points gives them (adjusted Rand index, noise counted as a label).
Also times predict on the held-back points against that refit, the alternative to
predict. The data are 2-D: ``eps`` shrinks as n**-0.25 and ``min_samples`` grows
as n**0.5 from (eps_1k, 5) at 1k, so neighbourhoods grow as sqrt(n) (DBSCAN's
memory as n**1.5, not n**2) while chance clumps of noise stay below min_samples.

    python benchmarks/dbscan_predict.py [--quick]
"""

import argparse

import numpy as np
from _common import median_time, use_shared_data, write_results
from sklearn.cluster import DBSCAN
from sklearn.datasets import make_blobs, make_moons
from sklearn.metrics import adjusted_rand_score

from skdeep.cluster import DBSCANPredictor

MIN_SAMPLES_1K = 5
HELD_OUT = 0.2


def moons(n, rng):
    return make_moons(n_samples=n, noise=0.05, random_state=rng)[0], 0.2


def blobs_with_noise(n, rng):
    """Four blobs and 10% uniform noise over [-10, 10]^2."""
    n_noise = n // 10
    centers = [[-5, -5], [0, 5], [5, -3], [6, 6]]
    X, _ = make_blobs(
        n_samples=n - n_noise, centers=centers, cluster_std=0.6, random_state=rng
    )
    noise = rng.uniform(-10, 10, size=(n_noise, 2))
    return np.vstack([X, noise]), 0.5


DATASETS = {"moons": moons, "blobs+noise": blobs_with_noise}


def run(dataset, n, train_on, repeats):
    rng = np.random.RandomState(0)
    X, eps_1k = DATASETS[dataset](n, rng)
    eps = eps_1k * (1000 / n) ** 0.25
    min_samples = round(MIN_SAMPLES_1K * (n / 1000) ** 0.5)
    order = rng.permutation(n)
    n_held = int(HELD_OUT * n)
    held, fit = order[:n_held], order[n_held:]

    model = DBSCANPredictor(eps=eps, min_samples=min_samples, train_on=train_on)
    model.fit(X[fit])
    refit = DBSCAN(eps=eps, min_samples=min_samples)
    refit_s = median_time(lambda: refit.fit(X), repeats=repeats)
    predicted = model.predict(X[held])
    predict_s = median_time(lambda: model.predict(X[held]), repeats=repeats)
    truth = refit.labels_[held]
    return {
        "dataset": dataset,
        "n_samples": n,
        "n_held_out": n_held,
        "eps": round(eps, 4),
        "min_samples": min_samples,
        "train_on": train_on,
        "n_clusters": len(model.classes_),
        "n_clusters_refit": int(refit.labels_.max() + 1),
        # How far the 80% fit itself is from the refit: a ceiling for predict.
        "ari_fit_vs_refit": adjusted_rand_score(refit.labels_[fit], model.labels_),
        "ari_held_vs_refit": adjusted_rand_score(truth, predicted),
        "noise_agreement": float(np.mean((truth == -1) == (predicted == -1))),
        "predict_s": predict_s,
        "predict_per_s": n_held / predict_s,
        "refit_s": refit_s,
        "refit_over_predict": refit_s / predict_s,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    args = parser.parse_args()
    use_shared_data()
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    rows = [
        run(dataset, n, train_on, repeats=3 if n >= 100_000 else 5)
        for dataset in DATASETS
        for n in sizes
        for train_on in ["core", "clustered"]
    ]
    write_results(
        "dbscan_predict",
        rows,
        question="agreement of predict on held-back points with a DBSCAN refit "
        "on all points, and predict throughput",
        min_samples_1k=MIN_SAMPLES_1K,
        held_out=HELD_OUT,
        max_distance="eps",
        n_neighbors=5,
    )


if __name__ == "__main__":
    main()
