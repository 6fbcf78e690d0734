"""Do 100 consecutive MLPClassifier fits in one process grow resident memory <= 50 MB?

Target of the performance issue (issue 4): 100 consecutive fits in one process grow
the resident set size (RSS, from psutil) by at most 50 MB in total. Each fit builds a
new estimator and drops the previous one, as a loop or a search does; nothing calls
``gc.collect()`` or ``keras.backend.clear_session()`` between fits (``--gc`` adds a
``gc.collect()`` before each reading). Data: digits (1347 x 64, standardised,
float32), network (100, 100) ReLU, Adam, batch 32, ``--epochs`` epochs per fit.

Columns (growth in MB since the reading after one warm-up fit):

* ``skdeep``: 100 fits of the same shape (the issue's case), with skdeep's default
  training loop (NumPy on this CPU);
* ``skdeep varied``: 100 fits cycling through ``--shapes`` hidden-layer widths, like a
  hyper-parameter search;
* ``skdeep tf`` and ``skdeep tf varied``: the same with ``engine="tensorflow"``, the
  compiled loop GPUs run (40 shapes are more than its cache of traced functions holds);
* ``scikeras``: the peer, ``KerasClassifier`` with the same network; fewer fits
  (``--scikeras-fits``) because each is slower. Its MB per fit extrapolates it to 100;
* ``skdeep fit+predict`` and ``skdeep tf fit+predict``: each cycle also calls
  ``predict`` and ``predict_proba`` on the training data (issue 16's load case).

``--search N`` answers the second load question instead: does a hyper-parameter
search of N candidates (``RandomizedSearchCV``, 3 folds, so 3N + 1 fits of networks
of varied shapes, alpha and learning rate) keep memory bounded? It runs the same
search ``--search-repeats`` times in one process and reads RSS after each and its
peak during each (sampled every 20 ms); bounded means a repeated search adds
little beyond the first. Results go to ``results/memory_search.json``.

Columns run one after the other in this order in the same process, each from its own
baseline.

    python benchmarks/memory_fits.py            # ~3-5 min on 2 cores
    python benchmarks/memory_fits.py --quick    # 20 fits, 10 for scikeras
    python benchmarks/memory_fits.py --columns "skdeep fit+predict" \
        "skdeep tf fit+predict" --name memory_fit_predict
    python benchmarks/memory_fits.py --search 50      # ~3 min on 2 cores
"""

import argparse
import gc
import os
import statistics
import threading
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import rss_mb, use_shared_data, write_results
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import StandardScaler

TARGET_MB = 50.0
EVERY = 10
COLUMNS = ["skdeep", "skdeep varied", "skdeep tf", "skdeep tf varied", "scikeras"]
EXTRA_COLUMNS = ["skdeep fit+predict", "skdeep tf fit+predict"]


def digits():
    X, y = load_digits(return_X_y=True)
    return StandardScaler().fit_transform(X).astype(np.float32), y


def skdeep_fit(hidden, epochs, seed, engine="auto", predict=False):
    from skdeep.neural_network import MLPClassifier

    def fit(X, y):
        model = MLPClassifier(
            hidden,
            batch_size=32,
            max_iter=epochs,
            tol=0.0,
            n_iter_no_change=epochs,
            random_state=seed,
            engine=engine,
        ).fit(X, y)
        if predict:
            model.predict(X)
            model.predict_proba(X)
        return model

    return fit


class PeakRSS:
    """Highest RSS (MB) seen by a thread sampling every ``interval`` seconds."""

    def __init__(self, interval=0.02):
        self.interval, self.peak = interval, rss_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        while not self._stop.wait(self.interval):
            self.peak = max(self.peak, rss_mb())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss_mb())


def search_memory(X, y, n_candidates, repeats, epochs, engine):
    """RSS after and peak during each of ``repeats`` identical searches."""
    from scipy.stats import loguniform
    from sklearn.model_selection import RandomizedSearchCV

    from skdeep.neural_network import MLPClassifier

    widths = [20 + 5 * k for k in range(40)]
    space = {
        "hidden_layer_sizes": [(w,) for w in widths] + [(w, w) for w in widths],
        "alpha": loguniform(1e-6, 1e-1),
        "learning_rate_init": loguniform(1e-4, 1e-2),
    }
    base = MLPClassifier(
        batch_size=32, max_iter=epochs, random_state=0, engine=engine, tol=0.0
    )
    # warm-up: one fit and predict of the same kind, so imports and first traces
    # are not counted as growth
    base.fit(X, y).predict(X)
    gc.collect()
    start = rss_mb()
    rows = []
    for i in range(1, repeats + 1):
        search = RandomizedSearchCV(
            base, space, n_iter=n_candidates, cv=3, random_state=0, n_jobs=1
        )
        begin = time.perf_counter()
        with PeakRSS() as peak:
            search.fit(X, y)
            search.predict(X)
        seconds = time.perf_counter() - begin
        del search
        after = rss_mb()
        rows.append(
            {
                "search": i,
                "engine": engine,
                "fits": 3 * n_candidates + 1,
                "peak MB": round(peak.peak - start, 1),
                "after MB": round(after - start, 1),
                "s": round(seconds, 1),
            }
        )
        print(f"  {engine} search {i}: {rows[-1]}", flush=True)
    return rows, start


def scikeras_build(meta, compile_kwargs):
    import keras

    model = keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )
    model.compile(**compile_kwargs)
    return model


def scikeras_fit(epochs):
    from scikeras.wrappers import KerasClassifier

    def fit(X, y):
        # no random_state: it would turn TF op-determinism on for the whole process
        return KerasClassifier(
            model=scikeras_build,
            optimizer="adam",
            optimizer__learning_rate=1e-3,
            loss="sparse_categorical_crossentropy",
            epochs=epochs,
            batch_size=32,
            verbose=0,
        ).fit(X, y)

    return fit


def track(name, make_fit, n_fits, X, y, collect):
    """Warm-up fit, then ``n_fits`` fits; RSS growth (MB) every ``EVERY`` fits."""
    model = make_fit(0)(X, y)
    del model
    if collect:
        gc.collect()
    base = rss_mb()
    readings = {0: 0.0}
    times = []
    for i in range(1, n_fits + 1):
        start = time.perf_counter()
        model = make_fit(i)(X, y)
        times.append(time.perf_counter() - start)
        del model
        if i % EVERY == 0 or i == n_fits:
            if collect:
                gc.collect()
            readings[i] = rss_mb() - base
            print(f"  {name:14s} {i:4d} fits: +{readings[i]:.1f} MB", flush=True)
    gc.collect()
    after_gc = rss_mb() - base
    return {
        "base_mb": base,
        "readings": readings,
        "after_gc": after_gc,
        "per_fit": readings[n_fits] / n_fits,
        "fit_s": statistics.median(times),
        "n_fits": n_fits,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=100)
    parser.add_argument("--scikeras-fits", type=int, default=40)
    parser.add_argument("--epochs", type=int, default=5, help="epochs per fit")
    parser.add_argument(
        "--shapes", type=int, default=40, help="widths cycled by 'skdeep varied'"
    )
    parser.add_argument(
        "--columns",
        nargs="+",
        choices=COLUMNS + EXTRA_COLUMNS,
        default=COLUMNS,
    )
    parser.add_argument(
        "--name", default="memory_fits", help="results/<name>.json to write"
    )
    parser.add_argument(
        "--search", type=int, default=0, help="candidates of a search (see above)"
    )
    parser.add_argument("--search-repeats", type=int, default=3)
    parser.add_argument("--search-engines", nargs="+", default=["auto", "tensorflow"])
    parser.add_argument("--gc", action="store_true", help="gc.collect() before reading")
    parser.add_argument("--quick", action="store_true", help="20 fits, 10 scikeras")
    args = parser.parse_args()
    if args.quick:
        args.fits, args.scikeras_fits = 20, 10

    use_shared_data()
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    X, y = digits()
    start_rss = rss_mb()
    import keras  # noqa: F401

    if args.search:
        rows, bases = [], {}
        for engine in args.search_engines:
            print(f"search of {args.search} candidates, engine={engine}", flush=True)
            engine_rows, bases[engine] = search_memory(
                X, y, args.search, args.search_repeats, args.epochs, engine
            )
            rows += engine_rows
        growth = {
            engine: max(r["after MB"] for r in rows if r["engine"] == engine)
            - next(r["after MB"] for r in rows if r["engine"] == engine)
            for engine in args.search_engines
        }
        write_results(
            "memory_search",
            rows,
            candidates=args.search,
            repeats=args.search_repeats,
            epochs=args.epochs,
            baseline_rss_mb={k: round(v, 1) for k, v in bases.items()},
            growth_after_first_search_mb={k: round(v, 1) for k, v in growth.items()},
            rss_before_imports_mb=round(start_rss, 1),
        )
        return

    widths = [20 + 5 * k for k in range(args.shapes)]
    plans = {
        "skdeep": (
            lambda i: skdeep_fit((100, 100), args.epochs, i),
            args.fits,
        ),
        "skdeep varied": (
            lambda i: skdeep_fit((widths[i % len(widths)],) * 2, args.epochs, i),
            args.fits,
        ),
        "skdeep tf": (
            lambda i: skdeep_fit((100, 100), args.epochs, i, "tensorflow"),
            args.fits,
        ),
        "skdeep tf varied": (
            lambda i: skdeep_fit(
                (widths[i % len(widths)],) * 2, args.epochs, i, "tensorflow"
            ),
            args.fits,
        ),
        "scikeras": (lambda i: scikeras_fit(args.epochs), args.scikeras_fits),
        "skdeep fit+predict": (
            lambda i: skdeep_fit((100, 100), args.epochs, i, predict=True),
            args.fits,
        ),
        "skdeep tf fit+predict": (
            lambda i: skdeep_fit(
                (100, 100), args.epochs, i, "tensorflow", predict=True
            ),
            args.fits,
        ),
    }
    results = {}
    for name in COLUMNS + EXTRA_COLUMNS:
        if name in args.columns:
            make_fit, n = plans[name]
            print(f"{name}: warm-up + {n} fits", flush=True)
            results[name] = track(name, make_fit, n, X, y, args.gc)

    checkpoints = sorted({k for r in results.values() for k in r["readings"]})
    rows = []
    for k in checkpoints:
        row = {"fits": k}
        for name in args.columns:
            row[f"{name} MB"] = results[name]["readings"].get(k)
        rows.append(row)
    summaries = {
        "after gc.collect()": "after_gc",
        "MB per fit": "per_fit",
        "fit s (median)": "fit_s",
        "baseline RSS MB": "base_mb",
    }
    for label, key in summaries.items():
        row = {"fits": label}
        for name in args.columns:
            row[f"{name} MB"] = round(results[name][key], 4)
        rows.append(row)
    row = {"fits": f"projected to {args.fits} fits"}
    for name in args.columns:
        row[f"{name} MB"] = round(results[name]["per_fit"] * args.fits, 1)
    rows.append(row)

    meta = {"target_mb": TARGET_MB}
    met = []
    # the cases, with each training loop
    for name in ("skdeep", "skdeep tf", *EXTRA_COLUMNS):
        if name in results:
            growth = results[name]["readings"][args.fits] * 100 / args.fits
            key = name.replace(" ", "_")
            meta[f"{key}_growth_per_100_fits_mb"] = round(growth, 1)
            met.append(growth <= TARGET_MB)
            print(f"\n{name}: +{growth:.1f} MB per 100 fits (target <= {TARGET_MB} MB)")
    if met:
        meta["met"] = all(met)
    write_results(
        args.name,
        rows,
        fits=args.fits,
        scikeras_fits=args.scikeras_fits,
        epochs=args.epochs,
        shapes=args.shapes,
        gc_before_reading=args.gc,
        rss_before_imports_mb=round(start_rss, 1),
        quick=args.quick,
        **meta,
    )


if __name__ == "__main__":
    main()
