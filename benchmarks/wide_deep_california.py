"""Does Wide & Deep beat the book's best MLP on California housing, and at what cost?

Géron, Hands-On Machine Learning (2nd/3rd ed., ch. 10): California housing split with
``train_test_split(random_state=42)`` twice (train / valid / test), StandardScaler fit
on the training set. The book's randomized search over MLPs reached a best
cross-validated MSE of 0.319. Here every model trains on the training set (early
stopping on 10 % of it), is scored on the test set, and the table reports the median
test MSE and fit time over ``--repeats`` seeds, with ratios to the book's 0.319 and
to scikit-learn's MLPRegressor's fit time.

    python benchmarks/wide_deep_california.py [--repeats 3]
    python benchmarks/wide_deep_california.py --kernel-initializer he_uniform
"""

import argparse
import statistics
import warnings

from _common import timed, use_shared_data, write_results

BOOK_BEST_MSE = 0.319
HIDDEN = (30, 30)  # the book's two hidden layers of 30 units
WIDE, DEEP = [0, 1, 2, 3, 4], [2, 3, 4, 5, 6, 7]  # the book's input_A and input_B


def load_book_split():
    from sklearn.datasets import fetch_california_housing
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    housing = fetch_california_housing()
    X_train_full, X_test, y_train_full, y_test = train_test_split(
        housing.data, housing.target, random_state=42
    )
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_train_full, y_train_full, random_state=42
    )
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), y_train, scaler.transform(X_test), y_test


def models(seed, kernel_initializer="auto"):
    from sklearn.neural_network import MLPRegressor as SklearnMLPRegressor

    from skdeep.neural_network import MLPRegressor, WideDeepRegressor

    common = {
        "hidden_layer_sizes": HIDDEN,
        "learning_rate_init": 1e-3,
        "batch_size": 32,
        "max_iter": 200,
        "early_stopping": True,
        "n_iter_no_change": 20,
        "random_state": seed,
    }
    sklearn = SklearnMLPRegressor(**common)
    common["kernel_initializer"] = kernel_initializer  # skdeep's
    return {
        "sklearn MLPRegressor": sklearn,
        "skdeep MLPRegressor": MLPRegressor(**common),
        "WideDeep, one input": WideDeepRegressor(**common),
        "WideDeep, two inputs": WideDeepRegressor(
            wide_features=WIDE, deep_features=DEEP, **common
        ),
        "WideDeep, two inputs + auxiliary": WideDeepRegressor(
            wide_features=WIDE, deep_features=DEEP, auxiliary_output=True, **common
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--kernel-initializer",
        default="auto",
        help="skdeep's kernel_initializer (results/wide_deep_california_<name>.json)",
    )
    args = parser.parse_args()
    use_shared_data()

    from sklearn.metrics import mean_squared_error

    X_train, y_train, X_test, y_test = load_book_split()
    results = {}
    for seed in range(args.repeats):
        for name, model in models(seed, args.kernel_initializer).items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                _, seconds = timed(model.fit, X_train, y_train)
            mse = mean_squared_error(y_test, model.predict(X_test))
            results.setdefault(name, []).append((mse, seconds, model.n_iter_))
            print(f"seed {seed} {name}: MSE {mse:.4f}, {seconds:.1f} s")

    sklearn_time = statistics.median(t for _, t, _ in results["sklearn MLPRegressor"])
    rows = []
    for name, runs in results.items():
        mse = statistics.median(m for m, _, _ in runs)
        seconds = statistics.median(t for _, t, _ in runs)
        rows.append(
            {
                "model": name,
                "test MSE": round(mse, 4),
                "best MSE": round(min(m for m, _, _ in runs), 4),
                "MSE / book 0.319": round(mse / BOOK_BEST_MSE, 3),
                "fit s": round(seconds, 2),
                "fit time / sklearn": round(seconds / sklearn_time, 2),
                "epochs": statistics.median(n for _, _, n in runs),
            }
        )
    suffix = "" if args.kernel_initializer == "auto" else f"_{args.kernel_initializer}"
    write_results(
        f"wide_deep_california{suffix}",
        rows,
        question="test MSE of Wide & Deep vs MLPs on California housing (book split)",
        book_best_cv_mse=BOOK_BEST_MSE,
        repeats=args.repeats,
        n_train=len(y_train),
        n_test=len(y_test),
        settings={
            "hidden_layer_sizes": HIDDEN,
            "solver": "adam",
            "learning_rate_init": 1e-3,
            "batch_size": 32,
            "early_stopping": True,
            "n_iter_no_change": 20,
            "wide_features": WIDE,
            "deep_features": DEEP,
            "skdeep kernel_initializer": args.kernel_initializer,
        },
    )


if __name__ == "__main__":
    main()
