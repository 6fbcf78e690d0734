"""Is skdeep's MLPClassifier faster than scikit-learn's MLP, far faster than scikeras?

Reproduces the table of the performance issue (issue 4) with skdeep as a fourth column.
One process, the same float32 data and the same network for every peer: two hidden
layers of 100 ReLU units, softmax output, Adam with learning rate 1e-3, batch 32, no
L2 penalty (``--alpha``), a fixed number of epochs (no early stopping: scikit-learn and
skdeep get ``tol=0, n_iter_no_change=max_iter`` and the script checks ``n_iter_``).

Cases:

* digits, standardised, first 1347 rows train and last 450 test (as in the book):
  fit 20 epochs, predict 1 row, predict 450 rows;
* ``make_classification`` 60k x 100, 10 classes, first 45k rows train and last 15k
  test: fit 5 epochs, predict 15k rows.

Columns: scikit-learn ``MLPClassifier``, scikeras ``KerasClassifier``, raw Keras
(build + compile + ``model.fit(batch_size=32)`` / ``model.predict``), a "keras alt"
column with the cheaper raw-Keras variants quoted in the issue (fit with batch 256;
predict by calling the model directly), and skdeep's ``MLPClassifier`` twice: "skdeep"
with its defaults (on this CPU the NumPy training loop) and "skdeep tf" forced onto the
compiled TensorFlow loop (``engine="tensorflow"``, what a GPU runs; fits only, its
predictor is the same). skdeep's fit is reported twice: "cold" is the first skdeep fit
of that shape in the process (Keras model building, and for the compiled loop tracing,
included; the digits cold fit is the very first fit of anything in the process) and
"warm" is the median of later fits. Fits are run round-robin across peers so a noisy
neighbour slows all of them alike. Predict rows are the median of many calls after one
warm-up call (skdeep's first call is reported as its cold value), in blocks that
alternate between the peers (``median_times_round_robin``). Accuracy rows give
the median test accuracy of the fits (the quality target: within noise of raw Keras).

scikeras gets no ``random_state``: with one it turns TensorFlow op-determinism on for
the whole process, which would slow every peer measured after it.

    python benchmarks/peers.py                 # ~3-5 min on 2 quiet cores
    python benchmarks/peers.py --quick         # smoke run: 1 repeat, short predicts
    python benchmarks/peers.py --repeats 5 --cases digits
"""

import argparse
import os
import statistics
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import (
    median_times_round_robin,
    ratio,
    synthetic_45k,
    timed,
    use_shared_data,
    write_results,
)
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler

HIDDEN = (100, 100)
LEARNING_RATE = 1e-3
BATCH = 32
ALT_BATCH = 256

TARGETS = {
    # row key -> (target text, function of the row deciding whether it is met)
    "digits fit cold": ("skdeep/sklearn <= 1.0", lambda r: r["skdeep/sklearn"] <= 1.0),
    "digits predict 1 row": (
        "skdeep/sklearn <= 1.0",
        lambda r: r["skdeep/sklearn"] <= 1.0,
    ),
    "digits predict 450 rows": (
        "skdeep/sklearn <= 1.0",
        lambda r: r["skdeep/sklearn"] <= 1.0,
    ),
    "45k fit warm": ("skdeep/sklearn <= 0.5", lambda r: r["skdeep/sklearn"] <= 0.5),
    "45k fit cold": ("(warm is the target)", None),
    "45k predict 15k rows": (
        "skdeep/sklearn <= 0.5",
        lambda r: r["skdeep/sklearn"] <= 0.5,
    ),
}


# --------------------------------------------------------------------------- data


def digits_data():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X).astype(np.float32)
    return X[:1347], y[:1347], X[1347:], y[1347:]


def synthetic_data():
    X_train, X_test, y_train, y_test = synthetic_45k()
    return X_train, y_train, X_test, y_test


# ------------------------------------------------------------------------ peers


def keras_network(n_features, n_classes):
    import keras

    return keras.Sequential(
        [
            keras.Input((n_features,)),
            *(keras.layers.Dense(units, activation="relu") for units in HIDDEN),
            keras.layers.Dense(n_classes, activation="softmax"),
        ]
    )


def scikeras_build(meta, compile_kwargs):
    """scikeras build function: the same network, compiled with scikeras' kwargs."""
    model = keras_network(meta["n_features_in_"], meta["n_classes_"])
    model.compile(**compile_kwargs)
    return model


class Peer:
    """One column: ``fit(X, y, epochs, seed)`` returns what ``predict`` takes."""

    name = ""

    def fit(self, X, y, epochs, seed):
        raise NotImplementedError

    def predict(self, model, X):
        return model.predict(X)


class Sklearn(Peer):
    name = "sklearn"

    def __init__(self, alpha):
        self.alpha = alpha

    def make(self, **params):
        return SklearnMLP(**params)

    def fit(self, X, y, epochs, seed):
        model = self.make(
            hidden_layer_sizes=HIDDEN,
            solver="adam",
            alpha=self.alpha,
            batch_size=BATCH,
            learning_rate_init=LEARNING_RATE,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=epochs,
            random_state=seed,
        ).fit(X, y)
        assert model.n_iter_ == epochs, model.n_iter_
        return model


class Skdeep(Sklearn):
    """skdeep's MLPClassifier with scikit-learn's parameters (a drop-in)."""

    name = "skdeep"

    def __init__(self, alpha, engine="auto"):
        super().__init__(alpha)
        self.engine = engine

    def make(self, **params):
        from skdeep.neural_network import MLPClassifier

        return MLPClassifier(
            **params,
            # the peers' initialisation (Keras' Dense default, like scikit-learn's),
            # so that the accuracy row compares training paths, not initialisers
            # (skdeep's "auto" is the same since benchmarks/initializers.py)
            kernel_initializer="glorot_uniform",
            engine=self.engine,
        )

    def fit(self, X, y, epochs, seed):
        model = super().fit(X, y, epochs, seed)
        # on this CPU, "auto" trains in NumPy; "tensorflow" is the compiled loop
        # that GPUs use
        assert model.engine_ == ("numpy" if self.engine == "auto" else self.engine)
        return model


class Scikeras(Peer):
    name = "scikeras"

    def fit(self, X, y, epochs, seed):
        from scikeras.wrappers import KerasClassifier

        # no random_state: see the module docstring
        return KerasClassifier(
            model=scikeras_build,
            optimizer="adam",
            optimizer__learning_rate=LEARNING_RATE,
            loss="sparse_categorical_crossentropy",
            epochs=epochs,
            batch_size=BATCH,
            verbose=0,
        ).fit(X, y)


class RawKeras(Peer):
    name = "keras"

    def __init__(self, batch_size=BATCH, direct_predict=False):
        self.batch_size = batch_size
        self.direct_predict = direct_predict

    def fit(self, X, y, epochs, seed):
        import keras

        model = keras_network(X.shape[1], int(y.max()) + 1)
        model.compile(
            optimizer=keras.optimizers.Adam(LEARNING_RATE),
            loss="sparse_categorical_crossentropy",
        )
        model.fit(X, y, epochs=epochs, batch_size=self.batch_size, verbose=0)
        return model

    def predict(self, model, X):
        if self.direct_predict:
            proba = np.asarray(model(X, training=False))
        else:
            proba = model.predict(X, verbose=0)
        return proba.argmax(axis=1)


# ------------------------------------------------------------------------- runs


def run_fits(peers, X, y, X_test, y_test, epochs, repeats):
    """Round-robin fits; returns per-peer lists of times, accuracies, the last model."""
    times = {name: [] for name in peers}
    accuracy = {name: [] for name in peers}
    models = {}
    for seed in range(repeats):
        for name, peer in peers.items():
            model, seconds = timed(peer.fit, X, y, epochs, seed)
            times[name].append(seconds)
            accuracy[name].append(float(np.mean(peer.predict(model, X_test) == y_test)))
            models[name] = model
            print(f"  fit {name:9s} repeat {seed}: {seconds:.3f} s", flush=True)
    return times, accuracy, models


def make_row(case, unit, values, cold=None):
    """One table row; ``values`` maps peer name -> value in ``unit`` (or None)."""
    skdeep = cold if cold is not None else values.get("skdeep")
    row = {
        "case": case,
        "unit": unit,
        "sklearn": values.get("sklearn"),
        "scikeras": values.get("scikeras"),
        "keras": values.get("keras"),
        "keras alt": values.get("keras alt"),
        "skdeep": skdeep,
        # the cold row is about skdeep's default loop; "skdeep tf" has warm fits only
        "skdeep tf": values.get("skdeep tf") if cold is None else None,
        "skdeep/sklearn": None,
        "skdeep/scikeras": None,
        "skdeep/keras": None,
        "target": "",
        "met": None,
    }
    if unit != "accuracy":
        for peer in ("sklearn", "scikeras", "keras"):
            row[f"skdeep/{peer}"] = ratio(skdeep, row[peer])
        row["skdeep tf/sklearn"] = ratio(row["skdeep tf"], row["sklearn"])
    return row


def set_target(row, key):
    text, check = TARGETS.get(key, ("", None))
    row["target"] = text
    if check is not None and row["skdeep/sklearn"] is not None:
        row["met"] = bool(check(row))
    return row


def run_case(label, key, data, epochs, peers, args, predict_rows):
    """Time fits and predicts of one data set; returns table rows."""
    X, y, X_test, y_test = data
    print(f"\n{label}: {X.shape[0]} x {X.shape[1]}, {epochs} epochs", flush=True)
    rows = []

    cold_s = None
    if "skdeep" in peers:
        # first skdeep fit of this shape in the process: tracing included
        model, cold_s = timed(peers["skdeep"].fit, X, y, epochs, 1000)
        print(f"  fit skdeep    cold    : {cold_s:.3f} s", flush=True)
        cold_acc = float(np.mean(model.predict(X_test) == y_test))

    times, accuracy, models = run_fits(
        peers, X, y, X_test, y_test, epochs, args.repeats
    )
    if "skdeep" in peers:
        accuracy["skdeep"].insert(0, cold_acc)
    medians = {name: statistics.median(t) for name, t in times.items()}
    fit_case = f"{label}: fit {epochs} epochs"
    if "skdeep" in peers:
        rows.append(
            set_target(
                make_row(fit_case + " (skdeep cold)", "s", medians, cold=cold_s),
                f"{key} fit cold",
            )
        )
    rows.append(
        set_target(
            make_row(fit_case + " (skdeep warm)", "s", medians), f"{key} fit warm"
        )
    )

    for n_rows, row_key in predict_rows:
        Xp = X_test[:n_rows]
        calls = {
            name: lambda peer=peer, model=models[name], Xp=Xp: peer.predict(model, Xp)
            for name, peer in peers.items()
            # "skdeep tf" has the same predictor as "skdeep": only training differs
            if name != "skdeep tf"
        }
        medians, first = median_times_round_robin(calls, budget_s=args.predict_budget)
        values = {name: med * 1e3 for name, med in medians.items()}
        for name, ms in values.items():
            print(f"  predict {n_rows} {name:9s}: {ms:.3f} ms", flush=True)
        row = set_target(
            make_row(
                f"{label}: predict {n_rows} row{'s' * (n_rows > 1)}", "ms", values
            ),
            row_key,
        )
        row["skdeep first call ms"] = (
            first["skdeep"] * 1e3 if "skdeep" in first else None
        )
        rows.append(row)

    acc = {name: round(statistics.median(a), 4) for name, a in accuracy.items()}
    row = make_row(f"{label}: test accuracy (median of fits)", "accuracy", acc)
    row["target"] = "skdeep within noise of keras"
    rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="fits per peer")
    parser.add_argument(
        "--predict-budget",
        type=float,
        default=2.0,
        help="seconds of predict calls per peer and row (5 to 200 calls)",
    )
    parser.add_argument(
        "--cases", nargs="+", choices=["digits", "45k"], default=["digits", "45k"]
    )
    parser.add_argument(
        "--peers",
        nargs="+",
        choices=["sklearn", "scikeras", "keras", "keras alt", "skdeep", "skdeep tf"],
        default=["sklearn", "scikeras", "keras", "keras alt", "skdeep", "skdeep tf"],
    )
    parser.add_argument("--alpha", type=float, default=0.0, help="L2 of sklearn/skdeep")
    parser.add_argument(
        "--quick", action="store_true", help="1 repeat, 0.3 s of predict calls per row"
    )
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.predict_budget = 1, 0.3

    use_shared_data()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    # Import everything before the first timing so that "cold" means tracing and
    # first-call work, not module import.
    start = time.perf_counter()
    import keras  # noqa: F401
    import tensorflow as tf  # noqa: F401

    if "skdeep" in args.peers:
        import skdeep.neural_network  # noqa: F401
    if "scikeras" in args.peers:
        import scikeras.wrappers  # noqa: F401
    import_s = time.perf_counter() - start

    all_peers = {
        "sklearn": Sklearn(args.alpha),
        "scikeras": Scikeras(),
        "keras": RawKeras(),
        "keras alt": RawKeras(batch_size=ALT_BATCH, direct_predict=True),
        "skdeep": Skdeep(args.alpha),
        "skdeep tf": Skdeep(args.alpha, engine="tensorflow"),
    }
    # skdeep first so its cold digits fit is the first fit in the process
    order = ["skdeep"] + [p for p in all_peers if p != "skdeep"]
    peers = {name: all_peers[name] for name in order if name in args.peers}

    rows = []
    if "digits" in args.cases:
        rows += run_case(
            "digits",
            "digits",
            digits_data(),
            20,
            peers,
            args,
            [(1, "digits predict 1 row"), (450, "digits predict 450 rows")],
        )
    if "45k" in args.cases:
        rows += run_case(
            "45k x 100",
            "45k",
            synthetic_data(),
            5,
            peers,
            args,
            [(15_000, "45k predict 15k rows")],
        )

    for row in rows:
        row.setdefault("skdeep first call ms", None)
    print()
    write_results(
        "peers",
        rows,
        repeats=args.repeats,
        predict_budget_s=args.predict_budget,
        quick=args.quick,
        alpha=args.alpha,
        import_seconds=round(import_s, 2),
        keras_alt=f"fit with batch_size={ALT_BATCH}; predict by calling the model",
        network=f"{HIDDEN} relu, adam lr {LEARNING_RATE}, batch {BATCH}, float32",
        versions=versions(),
    )


def versions():
    import keras
    import sklearn
    import tensorflow as tf

    out = {"tensorflow": tf.__version__, "keras": keras.__version__}
    out["sklearn"] = sklearn.__version__
    try:
        import scikeras

        out["scikeras"] = scikeras.__version__
    except ImportError:
        pass
    return out


if __name__ == "__main__":
    main()
