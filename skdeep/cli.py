"""The ``skdeep`` command line: ``skdeep tour`` runs the package end to end."""

import argparse
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path


def _quiet_tensorflow():
    # The command owns its process, so it may quiet TensorFlow's C++ start-up logs.
    # The library itself never touches the environment.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _tour_rows(output_dir, random_state, n_iter):
    import joblib
    import numpy as np
    from scipy.stats import loguniform, randint
    from sklearn.datasets import load_diabetes, load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import RandomizedSearchCV, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdeep.neural_network import MLPClassifier, MLPRegressor

    class _HiddenLayers:
        """Samples ``hidden_layer_sizes``: 1-2 layers of 16-128 units."""

        def rvs(self, random_state=None):
            rng = np.random.default_rng(random_state.randint(2**31))
            return tuple(int(n) for n in rng.integers(16, 129, rng.integers(1, 3)))

    jobs = [
        ("MLPClassifier", "digits", load_digits, MLPClassifier, "accuracy"),
        ("MLPRegressor", "diabetes", load_diabetes, MLPRegressor, "R²"),
    ]
    rows = []
    for name, data_name, loader, cls, metric in jobs:
        X, y = loader(return_X_y=True)
        if name == "MLPRegressor":
            y = (y - y.mean()) / y.std()
        X_train, X_test, y_train, y_test = train_test_split(
            X, y, random_state=random_state
        )
        pipe = make_pipeline(
            StandardScaler(),
            cls(max_iter=200, early_stopping=True, random_state=random_state),
        )
        search = RandomizedSearchCV(
            pipe,
            {
                f"{cls.__name__.lower()}__hidden_layer_sizes": _HiddenLayers(),
                f"{cls.__name__.lower()}__learning_rate_init": loguniform(3e-4, 3e-2),
                f"{cls.__name__.lower()}__alpha": loguniform(1e-5, 1e-2),
                f"{cls.__name__.lower()}__batch_size": randint(16, 129),
            },
            n_iter=n_iter,
            cv=3,
            random_state=random_state,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            # short searches stop some candidates at max_iter; that is expected here
            warnings.simplefilter("ignore", ConvergenceWarning)
            search.fit(X_train, y_train)
        seconds = time.perf_counter() - start
        path = Path(output_dir) / f"{name}.joblib"
        joblib.dump(search.best_estimator_, path)
        reloaded = joblib.load(path)
        same = np.array_equal(
            search.best_estimator_.predict(X_test), reloaded.predict(X_test)
        )
        best = {
            k.split("__", 1)[1]: v
            for k, v in search.best_params_.items()
            if k.endswith(("hidden_layer_sizes", "learning_rate_init"))
        }
        rows.append(
            {
                "estimator": name,
                "data": f"{data_name} {X.shape[0]}x{X.shape[1]}",
                "search": f"{n_iter} candidates x 3 folds",
                "best": f"layers={best['hidden_layer_sizes']}, "
                f"lr={best['learning_rate_init']:.4f}",
                "metric": metric,
                "cv score": f"{search.best_score_:.3f}",
                "test score": f"{reloaded.score(X_test, y_test):.3f}",
                "seconds": f"{seconds:.1f}",
                "reloaded identical": "yes" if same else "NO",
            }
        )
    return rows


def _print_table(rows):
    columns = list(dict.fromkeys(k for row in rows for k in row))
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-+-".join("-" * widths[c] for c in columns))
    for row in rows:
        print(" | ".join(str(row.get(c, "")).ljust(widths[c]) for c in columns))


def tour(args):
    """Fit both MLPs in a Pipeline + RandomizedSearchCV, persist, reload, report."""
    _quiet_tensorflow()
    print(
        "skdeep tour: StandardScaler + MLP pipelines tuned by RandomizedSearchCV on "
        "scikit-learn's built-in data, saved with joblib and reloaded.\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        output = args.output or tmp
        Path(output).mkdir(parents=True, exist_ok=True)
        rows = _tour_rows(output, args.random_state, args.n_iter)
    _print_table(rows)
    ok = all(row["reloaded identical"] == "yes" for row in rows)
    print("\nall reloaded models predict identically" if ok else "\nRELOAD MISMATCH")
    return 0 if ok else 1


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="skdeep", description="scikit-learn estimators for deep learning."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p_tour = sub.add_parser("tour", help="run the package end to end on built-in data")
    p_tour.add_argument("--n-iter", type=int, default=4, help="search candidates")
    p_tour.add_argument("--random-state", type=int, default=0)
    p_tour.add_argument("--output", help="folder for the saved models (default: temp)")
    p_tour.set_defaults(func=tour)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
