"""How fast does skdeep train Fashion-MNIST per epoch against big-batch raw Keras?

The GPU part of the performance issue (issue 4): epoch throughput (training samples per
second) of ``MLPClassifier(hidden_layer_sizes=(300, 100))`` against a raw Keras
``Sequential`` with the same layers (Dense 300 relu, Dense 100 relu, Dense 10
softmax; Adam 1e-3; the same large batch) on whatever device is present: the first
GPU if the backend sees one, else the CPU. Data: ``keras.datasets.fashion_mnist``
(offline through ``KERAS_HOME``, see ``benchmarks/_common.py``), flattened and divided
by 255, float32, 60k training images; accuracy on the 10k test images.

Throughput excludes the first epoch (tracing, compilation, data transfer), whose time
is reported on its own. Raw Keras: per-epoch times from a callback. skdeep has no
per-epoch clock, so its figures come from three fits: a cold 1-epoch fit (first epoch
time, tracing included), then warm fits of 1 and N epochs; the steady epoch time is
``(t_N - t_1) / (N - 1)``.

Backends: skdeep's column needs TensorFlow (skdeep trains with ``tf.function``). The
raw-Keras column runs on any Keras backend. When ``KERAS_BACKEND`` is not set the
script picks tensorflow if it is installed, else jax, else torch. On the GPU machine
TensorFlow is not installed, so there the raw-Keras column runs with
``KERAS_BACKEND=jax`` and skdeep's column is reported as unavailable.

    python benchmarks/gpu_fashion_mnist.py                  # 60k images, 10 epochs
    KERAS_BACKEND=jax python benchmarks/gpu_fashion_mnist.py --batch-sizes 1024 4096
    python benchmarks/gpu_fashion_mnist.py --quick    # CPU smoke run: 10k, 3 epochs
"""

import argparse
import importlib.util
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import ratio, timed, use_shared_data, write_results

HIDDEN = (300, 100)
LEARNING_RATE = 1e-3


def pick_backend():
    """Set ``KERAS_BACKEND`` (unless set) to the first installed of tf, jax, torch."""
    if "KERAS_BACKEND" not in os.environ:
        for backend, module in (
            ("tensorflow", "tensorflow"),
            ("jax", "jax"),
            ("torch", "torch"),
        ):
            if importlib.util.find_spec(module) is not None:
                os.environ["KERAS_BACKEND"] = backend
                break
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def describe_device(backend):
    """The device the backend trains on, in words."""
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return f"GPU: {details.get('device_name', gpus[0].name)} (tensorflow)"
    elif backend == "jax":
        import jax

        device = jax.devices()[0]
        if device.platform != "cpu":
            return f"GPU: {getattr(device, 'device_kind', device)} (jax)"
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            return f"GPU: {torch.cuda.get_device_name(0)} (torch)"
    return f"CPU: {os.cpu_count()} cores ({backend})"


def load_data(n_train):
    import keras

    (X, y), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
    X = X.reshape(len(X), -1).astype(np.float32) / 255
    X_test = X_test.reshape(len(X_test), -1).astype(np.float32) / 255
    return X[:n_train], y[:n_train].astype(np.int64), X_test, y_test.astype(np.int64)


# ------------------------------------------------------------------------ columns


def keras_column(data, batch_size, epochs):
    import keras

    X, y, X_test, y_test = data

    class EpochClock(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.times = []

        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.times.append(time.perf_counter() - self.start)

    model = keras.Sequential(
        [
            keras.Input((X.shape[1],)),
            *(keras.layers.Dense(units, activation="relu") for units in HIDDEN),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        optimizer=keras.optimizers.Adam(LEARNING_RATE),
        loss="sparse_categorical_crossentropy",
    )
    clock = EpochClock()
    _, fit_s = timed(
        model.fit,
        X,
        y,
        epochs=epochs,
        batch_size=batch_size,
        verbose=0,
        callbacks=[clock],
    )
    steady = sum(clock.times[1:]) / (epochs - 1)
    proba = model.predict(X_test, batch_size=4096, verbose=0)
    return {
        "first epoch s": clock.times[0],
        "epoch s": steady,
        "samples/s": len(X) / steady,
        "fit s": fit_s,
        "test accuracy": float(np.mean(proba.argmax(axis=1) == y_test)),
    }


def skdeep_column(data, batch_size, epochs):
    from skdeep.neural_network import MLPClassifier

    X, y, X_test, y_test = data

    def fit(n_epochs, seed):
        return MLPClassifier(
            HIDDEN,
            alpha=0.0,
            batch_size=batch_size,
            learning_rate_init=LEARNING_RATE,
            max_iter=n_epochs,
            tol=0.0,
            n_iter_no_change=n_epochs,
            random_state=seed,
        ).fit(X, y)

    _, first_s = timed(fit, 1, 0)  # cold: first skdeep fit of this shape
    _, one_s = timed(fit, 1, 1)
    model, fit_s = timed(fit, epochs, 2)
    assert model.n_iter_ == epochs, model.n_iter_
    steady = (fit_s - one_s) / (epochs - 1)
    return {
        "first epoch s": first_s,
        "epoch s": steady,
        "samples/s": len(X) / steady,
        "fit s": fit_s,
        "test accuracy": float(model.score(X_test, y_test)),
        "device": model.device_,
    }


def skdeep_available(backend):
    if backend != "tensorflow":
        return f"skdeep needs KERAS_BACKEND=tensorflow (this run: {backend})"
    if importlib.util.find_spec("tensorflow") is None:
        return "skdeep needs TensorFlow, which is not installed here"
    return None


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10, help="epochs per fit (>= 2)")
    parser.add_argument("--batch-sizes", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--n-train", type=int, default=60_000)
    parser.add_argument(
        "--quick", action="store_true", help="10k images, 3 epochs, batch 1024"
    )
    args = parser.parse_args()
    if args.quick:
        args.n_train, args.epochs, args.batch_sizes = 10_000, 3, [1024]
    if args.epochs < 2:
        parser.error("--epochs must be at least 2 (the first epoch is excluded)")

    use_shared_data()  # before importing keras: KERAS_HOME is read at import
    backend = pick_backend()
    warnings.filterwarnings("ignore", message=".*Maximum iterations.*")
    import keras

    device = describe_device(backend)
    print(f"keras {keras.__version__}, backend {backend}, device {device}", flush=True)
    data = load_data(args.n_train)
    unavailable = skdeep_available(backend)
    if unavailable:
        print(f"skdeep column unavailable: {unavailable}", flush=True)

    rows = []
    for batch_size in args.batch_sizes:
        keras_res = keras_column(data, batch_size, args.epochs)
        print(f"  batch {batch_size} keras : {keras_res}", flush=True)
        row = {"library": "keras", "batch": batch_size, **keras_res}
        row["device"] = device
        rows.append(row)
        if unavailable:
            rows.append({"library": "skdeep", "batch": batch_size, "note": unavailable})
            continue
        sk = skdeep_column(data, batch_size, args.epochs)
        print(f"  batch {batch_size} skdeep: {sk}", flush=True)
        rows.append({"library": "skdeep", "batch": batch_size, **sk})
        rows.append(
            {
                "library": "skdeep/keras",
                "batch": batch_size,
                "first epoch s": ratio(sk["first epoch s"], keras_res["first epoch s"]),
                "epoch s": ratio(sk["epoch s"], keras_res["epoch s"]),
                "samples/s": ratio(sk["samples/s"], keras_res["samples/s"]),
                "fit s": ratio(sk["fit s"], keras_res["fit s"]),
                "test accuracy": round(
                    sk["test accuracy"] - keras_res["test accuracy"], 4
                ),
            }
        )

    columns = [
        "library",
        "batch",
        "first epoch s",
        "epoch s",
        "samples/s",
        "fit s",
        "test accuracy",
        "device",
        "note",
    ]
    rows = [{c: row.get(c) for c in columns} for row in rows]
    write_results(
        "gpu_fashion_mnist",
        rows,
        backend=backend,
        device=device,
        keras=keras.__version__,
        epochs=args.epochs,
        n_train=args.n_train,
        quick=args.quick,
        skdeep_unavailable=unavailable,
        note="ratio row: times and samples/s are ratios, test accuracy a difference",
    )


if __name__ == "__main__":
    main()
