"""Which kernel initializer should ``kernel_initializer="auto"`` pick for ReLU networks?

The peers benchmark's networks and data (``benchmarks/peers.py``: two hidden layers of
100 ReLU units, Adam 1e-3, batch 32, no L2 penalty, a fixed number of epochs), and a
deeper stack of five such layers on the larger data set (where He's scaling is meant
to matter most), trained
by skdeep's ``MLPClassifier`` with each candidate initializer, beside scikit-learn's
``MLPClassifier`` (whose initialisation is Glorot's uniform one). Rows: the median
test accuracy over ``--repeats`` seeds, and each candidate's difference to
scikit-learn (the default must be at least as good as scikit-learn's).

    python benchmarks/initializers.py               # ~3 min on 2 quiet cores
    python benchmarks/initializers.py --repeats 1   # smoke run
"""

import argparse
import os
import statistics
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _common import write_results
from peers import BATCH, HIDDEN, LEARNING_RATE, digits_data, synthetic_data
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP

CANDIDATES = ("glorot_uniform", "he_uniform", "he_avg_uniform", "he_normal")
CASES = {  # name: (data, epochs, hidden layers)
    "digits: 20 epochs": (digits_data, 20, HIDDEN),
    "45k x 100: 5 epochs": (synthetic_data, 5, HIDDEN),
    "45k x 100, 5 hidden layers: 5 epochs": (synthetic_data, 5, (100,) * 5),
}


def _params(epochs, hidden, seed):
    return dict(
        hidden_layer_sizes=hidden,
        solver="adam",
        alpha=0.0,
        batch_size=BATCH,
        learning_rate_init=LEARNING_RATE,
        max_iter=epochs,
        tol=0.0,
        n_iter_no_change=epochs,
        random_state=seed,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from skdeep.neural_network import MLPClassifier

    warnings.simplefilter("ignore", ConvergenceWarning)
    rows = []
    for case, (load, epochs, hidden) in CASES.items():
        X, y, X_test, y_test = load()
        scores = {name: [] for name in ("sklearn", *CANDIDATES)}
        for seed in range(args.repeats):  # peers take turns on each seed
            model = SklearnMLP(**_params(epochs, hidden, seed)).fit(X, y)
            scores["sklearn"].append(model.score(X_test, y_test))
            for init in CANDIDATES:
                model = MLPClassifier(
                    **_params(epochs, hidden, seed), kernel_initializer=init
                )
                scores[init].append(model.fit(X, y).score(X_test, y_test))
        medians = {name: statistics.median(values) for name, values in scores.items()}
        row = {"case": case, "unit": "test accuracy (median)"}
        row.update({name: round(value, 4) for name, value in medians.items()})
        row.update(
            {
                f"{init} - sklearn": round(medians[init] - medians["sklearn"], 4)
                for init in CANDIDATES
            }
        )
        rows.append(row)
        print(row, flush=True)
    write_results(
        "initializers",
        rows,
        repeats=args.repeats,
        network=f"relu, adam lr {LEARNING_RATE}, batch {BATCH}, float32",
    )


if __name__ == "__main__":
    main()
