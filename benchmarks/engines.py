"""Does the hand-written compiled TensorFlow loop still earn its place next to the
general Keras engine?

The built-in networks have three training loops (``engine=``): NumPy (the CPU
default), the hand-written compiled TensorFlow loop (the GPU default; its traced epoch
function is cached per network signature, so the folds of a search trace once), and
the general Keras engine (any layer, any backend; one compiled epoch function per
fit, calling the model's own ``train_step``). This times each on the same fits:
``MLPClassifier`` on digits (1347 training rows, standardised), a cold first fit, then
the mean of the repeated fits of a 5-fold cross-validation of the same architecture
(what a search does), and the test accuracy.

    python benchmarks/engines.py
    python benchmarks/engines.py --hidden 300 100 --max-iter 10
    KERAS_BACKEND=jax python benchmarks/engines.py    # the Keras engine only

On another Keras backend than TensorFlow only the general engine runs (the NumPy and
compiled loops are TensorFlow's); compare its figures with a TensorFlow run made
just before on the same machine.
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _common import digits_split, ratio, write_results


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[100, 100])
    parser.add_argument("--max-iter", type=int, default=20)
    args = parser.parse_args()

    import keras
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import cross_val_score

    from skdeep.neural_network import MLPClassifier

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X_train, X_test, y_train, y_test = digits_split()

    rows = []
    backend = keras.backend.backend()
    tensorflow = backend == "tensorflow"
    engines = ("numpy", "tensorflow", "keras") if tensorflow else ("keras",)
    for engine in engines:
        est = MLPClassifier(
            tuple(args.hidden), max_iter=args.max_iter, random_state=0, engine=engine
        )
        start = time.perf_counter()
        est.fit(X_train, y_train)
        cold = time.perf_counter() - start
        start = time.perf_counter()
        cross_val_score(est, X_train, y_train, cv=5)
        warm = (time.perf_counter() - start) / 5
        rows.append(
            {
                "engine": engine,
                "cold fit s": round(cold, 3),
                "search fit s": round(warm, 3),
                "test accuracy": round(est.score(X_test, y_test), 4),
            }
        )
        print(rows[-1], flush=True)
    by = {row["engine"]: row for row in rows}
    for row in rows if "tensorflow" in by else ():
        row["cold / tensorflow"] = ratio(
            row["cold fit s"], by["tensorflow"]["cold fit s"]
        )
        row["search / tensorflow"] = ratio(
            row["search fit s"], by["tensorflow"]["search fit s"]
        )
    write_results(
        "engines" if backend == "tensorflow" else f"engines_{backend}",
        rows,
        hidden=args.hidden,
        max_iter=args.max_iter,
        backend=backend,
        note="search fit s: mean fit time over a 5-fold cross-validation",
    )


if __name__ == "__main__":
    main()
