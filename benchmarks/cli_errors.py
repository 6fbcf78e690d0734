"""How long the ``skdeep`` command takes to report a user's mistake.

Issue 26 asks that files, columns, parameters, the output folder and the output
format be checked before TensorFlow is imported, so that a typo is reported in under
a second. ``tests/test_cli.py`` checks each message and that TensorFlow is not
imported; this script times the same mistakes as a user meets them (``python -m
skdeep ...`` in a fresh process, the median of a few runs), beside the two floors:
Python's own start-up and ``import tensorflow``.

    python benchmarks/cli_errors.py [--repeats 5]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _common import write_results

TRAIN = ("--data", "train.csv")
MISTAKES = {
    "data file missing (MLPClassifier)": (
        "fit", "MLPClassifier", "--data", "nope.csv", "--target", "label",
        "--output", "m.joblib",
    ),
    "target column typo (MLPClassifier)": (
        "fit", "MLPClassifier", *TRAIN, "--target", "lable", "--output", "m.joblib",
    ),
    "parameter name typo (MLPClassifier)": (
        "fit", "MLPClassifier", *TRAIN, "--target", "label",
        "--param", "hiden_layer_sizes=(8,)", "--output", "m.joblib",
    ),
    "parameter value out of range (MLPRegressor)": (
        "fit", "MLPRegressor", *TRAIN, "--target", "price", "--param", "alpha=-1",
        "--output", "m.joblib",
    ),
    "output folder missing (MLPRegressor)": (
        "fit", "MLPRegressor", *TRAIN, "--target", "price",
        "--output", os.path.join("nowhere", "m.joblib"),
    ),
    "unknown output format (MLPRegressor)": (
        "fit", "MLPRegressor", *TRAIN, "--target", "price", "--output", "m.h5",
    ),
    "unknown estimator": (
        "fit", "MLPClasifier", *TRAIN, "--output", "m.joblib",
    ),
    "model file missing (predict)": ("predict", "nope.joblib", "train.csv"),
}  # fmt: skip


def _table(folder):
    rng = np.random.default_rng(0)
    n = 240
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["label"] = np.where(frame.x1 > 0, "yes", "no")
    frame["price"] = 2 * frame.x1 - frame.x2
    frame.to_csv(folder / "train.csv", index=False)


def _wall(argv, folder, expect):
    start = time.perf_counter()
    result = subprocess.run(argv, cwd=folder, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != expect:
        raise SystemExit(f"{argv}: exit {result.returncode}\n{result.stderr}")
    return seconds, result.stderr.strip()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _table(folder)
        floors = {
            "floor: python -c pass": ([python, "-c", "pass"], 0),
            "floor: python -c 'import tensorflow'": (
                [python, "-c", "import tensorflow"],
                0,
            ),
        }
        cases = {
            **floors,
            **{
                name: ([python, "-m", "skdeep", *argv], 1)
                for name, argv in MISTAKES.items()
            },
        }
        for name, (argv, expect) in cases.items():
            times, message = [], ""
            for _ in range(args.repeats):
                seconds, message = _wall(argv, folder, expect)
                times.append(seconds)
            rows.append(
                {
                    "case": name,
                    "median s": statistics.median(times),
                    "max s": max(times),
                    "message": message.splitlines()[-1][:70] if message else "",
                }
            )
    write_results("cli_errors", rows, repeats=args.repeats)


if __name__ == "__main__":
    main()
