"""Does the wrapper train the book's model as well as plain ``model.fit``? (paired)

``search_california.py`` compares one unseeded search per library: its best-score gap
(a few thousandths of R²) is of the size of the seed-to-seed spread. This benchmark
measures the gap directly, paired: for the two best candidates of that search (2 x 42
units at lr 3.36e-3, 1 x 38 at 8.34e-3; SGD, batch 32, up to 100 epochs,
``validation_split=0.1``, ``EarlyStopping(patience=10)``, the book's build function),
on the same 3 folds of the book's training set and for each of ``--seeds`` seeds, it
trains once with plain Keras (``keras.utils.set_random_seed`` then ``model.fit``) and
once through ``skdeep.wrappers.KerasRegressor`` (``random_state`` = the same seed),
and reports the fold R² of each, their paired difference (mean and standard error)
and the fit-time ratio. A systematic difference in training would show as a mean
difference several standard errors from zero.

    python benchmarks/search_california_paired.py             # 3 seeds (~30 min here)
    python benchmarks/search_california_paired.py --seeds 1
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import use_shared_data, write_results
from search_california import book_data, build_keras_regressor

CANDIDATES = [(2, 42, 3.36e-3), (1, 38, 8.34e-3)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()
    use_shared_data()
    import keras
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    from skdeep.wrappers import KerasRegressor

    X, y, _, _ = book_data()
    meta = {"n_features_in_": X.shape[1]}
    per_fit, rows = [], []
    for n_hidden, n_neurons, lr in CANDIDATES:
        name = f"{n_hidden}x{n_neurons} lr={lr:.2e}"
        for seed in range(args.seeds):
            for fold, (train, test) in enumerate(KFold(3).split(X)):
                keras.utils.set_random_seed(1000 * seed + fold)
                model = build_keras_regressor(
                    n_hidden,
                    n_neurons,
                    meta,
                    {"optimizer": keras.optimizers.SGD(lr), "loss": "mse"},
                )
                start = time.perf_counter()
                model.fit(
                    X[train],
                    y[train],
                    batch_size=32,
                    epochs=100,
                    validation_split=0.1,
                    verbose=0,
                    callbacks=[keras.callbacks.EarlyStopping(patience=10)],
                )
                keras_s = time.perf_counter() - start
                keras_r2 = r2_score(y[test], model.predict(X[test], verbose=0).ravel())
                wrapper = KerasRegressor(
                    build_keras_regressor,
                    model__n_hidden=n_hidden,
                    model__n_neurons=n_neurons,
                    optimizer="sgd",
                    optimizer__learning_rate=lr,
                    loss="mse",
                    batch_size=32,
                    epochs=100,
                    validation_split=0.1,
                    random_state=1000 * seed + fold,
                    callbacks=[keras.callbacks.EarlyStopping(patience=10)],
                )
                start = time.perf_counter()
                wrapper.fit(X[train], y[train])
                wrapper_s = time.perf_counter() - start
                per_fit.append(
                    {
                        "candidate": name,
                        "seed": seed,
                        "fold": fold,
                        "model.fit R2": round(keras_r2, 4),
                        "wrapper R2": round(wrapper.score(X[test], y[test]), 4),
                        "model.fit s": round(keras_s, 2),
                        "wrapper s": round(wrapper_s, 2),
                    }
                )
                print(per_fit[-1], flush=True)
        fits = [row for row in per_fit if row["candidate"] == name]
        diff = np.array([r["wrapper R2"] - r["model.fit R2"] for r in fits])
        rows.append(
            {
                "candidate": name,
                "fits": len(fits),
                "model.fit mean R2": round(
                    np.mean([r["model.fit R2"] for r in fits]), 4
                ),
                "wrapper mean R2": round(np.mean([r["wrapper R2"] for r in fits]), 4),
                "mean difference": round(float(diff.mean()), 4),
                "standard error": round(
                    float(diff.std(ddof=1) / np.sqrt(len(diff))), 4
                ),
                "fit time ratio": round(
                    sum(r["wrapper s"] for r in fits)
                    / sum(r["model.fit s"] for r in fits),
                    3,
                ),
            }
        )
    write_results(
        "search_california_paired",
        rows,
        seeds=args.seeds,
        per_fit=per_fit,
        note="difference = wrapper R2 - model.fit R2 on the same fold and seed",
    )


if __name__ == "__main__":
    main()
