"""Does a wrapper fit on data larger than memory keep memory bounded?

One ``KerasRegressor`` fit (256 features -> Dense(32) -> 1, Adam, batch 1024, one
epoch) on X of growing size (float32, written to a ``.npy`` file first), fed four
ways, each in a fresh process so that one case's memory never shows in another's:

* ``array``: ``np.load`` the file into memory, then fit (the reference: memory grows
  with the data);
* ``memmap``: ``np.load(..., mmap_mode="r")``, then fit: the engine reads a chunk of
  rows at a time (16 MiB) from the file;
* ``pydataset``: a ``keras.utils.PyDataset`` that reads its minibatches from the
  memory-mapped file, trained by ``model.fit``;
* ``generator``: an endless generator of minibatches read from the memory-mapped
  file, with ``steps_per_epoch``;
* ``mlp array`` and ``mlp memmap``: the built-in ``MLPRegressor`` (the same network,
  its default engine, one epoch) on the loaded and on the memory-mapped file;
  ``mlp pydataset`` and ``mlp generator``: the same on the PyDataset and the
  generator above (its Keras engine, one ``model.fit`` pass per epoch);
* ``val array`` and ``val memmap``: the wrapper trained on the first 8,192 rows (in
  memory before the measure starts) with the whole file as ``validation_data``,
  loaded or memory-mapped (evaluated a chunk at a time).

The figure is the process's peak *anonymous* resident memory (``RssAnon`` from
``/proc/self/status``, sampled every 5 ms during the fit), minus its value just
before the fit, in MiB: the memory the process allocated for the data. Pages of a
memory-mapped file are counted apart (``RssFile``): the kernel keeps them as cache
and drops them under memory pressure, so they do not bound the data size. The table
gives the growth per case and size, and its ratio to the data's size.

    nice -n 10 python benchmarks/memory_streaming.py           # ~4 min on 2 cores
    nice -n 10 python benchmarks/memory_streaming.py --quick   # two small sizes
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

N_FEATURES = 256
BATCH = 1024
CASES = [
    "array",
    "memmap",
    "pydataset",
    "generator",
    "mlp array",
    "mlp memmap",
    "mlp pydataset",
    "mlp generator",
    "val array",
    "val memmap",
]
N_TRAIN_VAL = 8192  # the training rows of the validation cases


def _status_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def _build(meta):
    import keras

    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:]),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1),
        ]
    )


def run_case(case, path):
    """Fit once on the data in ``path`` fed as ``case``; return memory figures."""
    import keras
    import numpy as np

    from skdeep.wrappers import KerasRegressor

    X_file = np.load(path, mmap_mode="r")
    y = np.asarray(X_file[:, 0] * 2.0 + 1.0, dtype=np.float32)  # one pass, in memory
    reg = KerasRegressor(
        _build, optimizer="adam", batch_size=BATCH, epochs=1, random_state=0
    )
    # warm-up fit on a small slice: imports, traces and the runtime's pools
    reg.fit(np.asarray(X_file[:4096]), y[:4096])

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return -(-len(X_file) // BATCH)

        def __getitem__(self, i):
            rows = slice(i * BATCH, (i + 1) * BATCH)
            return np.asarray(X_file[rows]), y[rows]

    def forever():
        while True:
            for start in range(0, len(X_file), BATCH):
                yield (
                    np.asarray(X_file[start : start + BATCH]),
                    y[start : start + BATCH],
                )

    if case.startswith("mlp"):
        from skdeep.neural_network import MLPRegressor

        streamed = case in ("mlp pydataset", "mlp generator")
        reg = MLPRegressor(
            hidden_layer_sizes=(32,),
            batch_size="auto" if streamed else BATCH,  # (a stream's are its own)
            max_iter=1,
            random_state=0,
        )
        if streamed:  # warm up the stream path too
            reg.fit(iter([(np.asarray(X_file[:BATCH]), y[:BATCH])]))
        reg.fit(np.asarray(X_file[:4096]), y[:4096])

    if case.startswith("val"):
        X_train, y_train = np.asarray(X_file[:N_TRAIN_VAL]), y[:N_TRAIN_VAL]

    before = _status_kib("RssAnon")
    peak = [before]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _status_kib("RssAnon"))
            time.sleep(0.005)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    start = time.perf_counter()
    if case in ("array", "mlp array"):
        X = np.load(path)
        reg.fit(X, y)
    elif case in ("memmap", "mlp memmap"):
        reg.fit(X_file, y)
    elif case == "val array":
        reg.fit(X_train, y_train, validation_data=(np.load(path), y))
    elif case == "val memmap":
        reg.fit(X_train, y_train, validation_data=(X_file, y))
    elif case in ("pydataset", "mlp pydataset"):
        reg.fit(Batches())
    elif case == "mlp generator":
        reg.fit(forever(), steps_per_epoch=-(-len(X_file) // BATCH))
    else:
        reg.fit(forever(), steps_per_epoch=-(-len(X_file) // BATCH))
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    peak[0] = max(peak[0], _status_kib("RssAnon"))
    return {
        "peak_anon_growth_mib": round((peak[0] - before) / 1024, 1),
        "rss_file_mib_after": round(_status_kib("RssFile") / 1024, 1),
        "fit_seconds": round(seconds, 2),
        "final_loss": float(
            reg.history_["loss"][-1] if hasattr(reg, "history_") else reg.loss_
        ),
        "val_loss": (
            float(reg.history_["val_loss"][-1]) if case.startswith("val") else None
        ),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[62_500, 250_000, 1_000_000]
    )
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--cases", nargs="+", default=CASES, choices=CASES)
    parser.add_argument("--case", help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--path", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.path)))
        return
    rows_list = [12_500, 50_000] if args.quick else args.rows

    import numpy as np
    from _common import write_results

    results = []
    with tempfile.TemporaryDirectory() as folder:
        for n_rows in rows_list:
            path = Path(folder) / f"X-{n_rows}.npy"
            X = np.lib.format.open_memmap(
                path, mode="w+", dtype=np.float32, shape=(n_rows, N_FEATURES)
            )
            rng = np.random.default_rng(0)
            for start in range(0, n_rows, 100_000):
                stop = min(n_rows, start + 100_000)
                X[start:stop] = rng.standard_normal((stop - start, N_FEATURES))
            X.flush()
            del X
            data_mib = n_rows * N_FEATURES * 4 / 2**20
            for case in args.cases:
                out = subprocess.run(
                    [sys.executable, __file__, "--case", case, "--path", str(path)],
                    check=True,
                    capture_output=True,
                    text=True,
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                )
                figures = json.loads(out.stdout.strip().splitlines()[-1])
                row = {
                    "rows": n_rows,
                    "data_mib": round(data_mib, 1),
                    "case": case,
                    **figures,
                    "growth_over_data": round(
                        figures["peak_anon_growth_mib"] / data_mib, 3
                    ),
                }
                print(row, flush=True)
                results.append(row)
    write_results(
        "memory_streaming_quick" if args.quick else "memory_streaming",
        results,
        question=__doc__.splitlines()[0],
        features=N_FEATURES,
        batch_size=BATCH,
        figure="peak RssAnon growth during one fit, MiB",
    )


if __name__ == "__main__":
    main()
