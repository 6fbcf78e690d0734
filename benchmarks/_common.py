"""Shared helpers for the benchmark scripts: timing, data paths, tables and JSON."""

import json
import os
import platform
import random
import statistics
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def use_shared_data():
    """Point the standard loaders' caches at ``../shared/data`` when it exists."""
    if SHARED_DATA.is_dir():
        os.environ.setdefault(
            "SCIKIT_LEARN_DATA", str(SHARED_DATA / "scikit_learn_data")
        )
        os.environ.setdefault("KERAS_HOME", str(SHARED_DATA / "keras"))
    return SHARED_DATA


def timed(fn, *args, **kwargs):
    """Call ``fn`` once; return ``(result, seconds)``."""
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def median_time(fn, repeats=5, warmup=0):
    """Median wall time of ``fn()`` over ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def format_table(rows, columns=None):
    """Render a list of dicts as a Markdown table."""
    if not rows:
        return "(no rows)"
    columns = columns or list(rows[0])

    def cell(value):
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.4g}"
        return str(value)

    lines = [
        "| " + " | ".join(columns) + " |",
        "|" + "|".join("---" for _ in columns) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(cell(row.get(c, "")) for c in columns) + " |")
    return "\n".join(lines)


def write_results(name, rows, **meta):
    """Print ``rows`` as a table, write them and ``meta`` to ``results/<name>.json``."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpu_count": os.cpu_count(),
        **meta,
        "rows": rows,
    }
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(format_table(rows))
    print(f"\nwritten to {path}")
    return path


def median_times_round_robin(
    fns, budget_s=2.0, rounds=5, min_repeats=5, max_repeats=200
):
    """Median wall time of each ``fns[name]()``, the peers taking turns.

    Every function is called once first (its cold call, not in the median); then
    ``rounds`` times each function gets a block of calls worth ``budget_s / rounds``
    seconds (at least one call a block, ``min_repeats`` to ``max_repeats`` in all),
    in a new order each round.
    Alternating blocks share out a noisy neighbour, or a drift of the machine's
    speed, between the peers, as the round-robin fits do; within a block the calls
    follow each other, as repeated predicts on one model do.
    Returns ``({name: median_seconds}, {name: first_call_seconds})``.
    """
    times = {name: [] for name in fns}
    first, per_call = {}, {}
    for name, fn in fns.items():
        start = time.perf_counter()
        fn()
        first[name] = time.perf_counter() - start
        per_call[name] = first[name]
    for r in range(rounds):
        # a new order each round (seeded): no peer always follows the same one
        for name in random.Random(r).sample(list(fns), len(fns)):
            fn = fns[name]
            total = int(min(max_repeats, max(min_repeats, budget_s / per_call[name])))
            for _ in range(max(1, -(-total // rounds))):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
            per_call[name] = statistics.median(times[name])
    return {name: statistics.median(t) for name, t in times.items()}, first


def ratio(a, b):
    """``a / b`` rounded for tables; None when either side is missing."""
    if a is None or b is None or not b:
        return None
    return round(a / b, 3)


def rss_mb():
    """Resident set size of this process in MB (needs psutil)."""
    import psutil

    return psutil.Process().memory_info().rss / 2**20


# ADBench's "Classical" sets available offline, largest first
ADBENCH_FILES = {
    "mammography": "23_mammography.npz",
    "annthyroid": "2_annthyroid.npz",
    "satimage-2": "31_satimage-2.npz",
    "thyroid": "38_thyroid.npz",
    "cardio": "6_cardio.npz",
    "letter": "20_letter.npz",
    "yeast": "47_yeast.npz",
    "vowels": "40_vowels.npz",
    "Pima": "29_Pima.npz",
    "breastw": "4_breastw.npz",
    "Ionosphere": "18_Ionosphere.npz",
    "glass": "14_glass.npz",
}


def digits_split():
    """scikit-learn's digits, split 3:1 (``random_state=0``) and standardised on the
    training rows: ``X_train, X_test, y_train, y_test``."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def synthetic_45k():
    """``benchmarks/peers.py``'s large case: ``make_classification`` 60k x 100 (10
    classes, float32), the first 45k rows to train and the last 15k to test:
    ``X_train, X_test, y_train, y_test``."""
    import numpy as np
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=60_000,
        n_features=100,
        n_informative=50,
        n_redundant=10,
        n_classes=10,
        random_state=0,
    )
    X = X.astype(np.float32)
    return X[:45_000], X[45_000:], y[:45_000], y[45_000:]
