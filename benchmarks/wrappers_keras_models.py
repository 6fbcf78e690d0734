"""Is a user's Keras model faster through skdeep.wrappers than through plain Keras?

Targets (issue 12): through ``KerasClassifier`` / ``KerasRegressor`` a user's model
fits in <= 0.5x the time of plain ``model.fit`` with the same epochs and batch size,
and predicts 1 row and 10k rows in <= 0.1x ``model.predict``'s time, with equal
accuracy within noise. Three models of *Hands-On Machine Learning* ch. 10:

* Fashion-MNIST: the book's ``Sequential`` classifier (Flatten 28x28, Dense 300 relu,
  Dense 100 relu, Dense 10 softmax; SGD 0.01, sparse categorical cross-entropy,
  accuracy), 55k training images / 5k validation / 10k test, divided by 255.
* California housing: the book's first Wide & Deep functional model (the input
  concatenated with two Dense 30 relu layers, Dense 1; SGD 1e-3, MSE), standardised,
  the book's split; and its two-input version (issue 24: X given as the tuple
  ``(X[:, :5], X[:, 2:])``, ``input_A`` and ``input_B``).

Both sides build the same model from the same function, train with batch 32 for the
same epochs (``fit`` in the wrapper, ``model.fit`` plainly) and are then timed on
predictions, taking turns (``median_times_round_robin``). The wrapper's ``predict``
includes scikit-learn's input validation and the label decoding.

    python benchmarks/wrappers_keras_models.py              # 5 epochs each
    python benchmarks/wrappers_keras_models.py --epochs 2   # quicker
    KERAS_BACKEND=jax python benchmarks/wrappers_keras_models.py
"""

import argparse
import os
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
from _common import (
    format_table,
    median_times_round_robin,
    ratio,
    use_shared_data,
    write_results,
)

BATCH = 32


def fashion_data():
    import keras

    (X_full, y_full), (X_test, y_test) = keras.datasets.fashion_mnist.load_data()
    X_full, X_test = X_full / 255.0, X_test / 255.0
    return (
        (X_full[5000:], y_full[5000:]),
        (X_full[:5000], y_full[:5000]),
        (X_test, y_test),
    )


def housing_data():
    from sklearn.datasets import fetch_california_housing
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    housing = fetch_california_housing()
    X_full, X_test, y_full, y_test = train_test_split(
        housing.data, housing.target, random_state=42
    )
    X_train, X_valid, y_train, y_valid = train_test_split(
        X_full, y_full, random_state=42
    )
    scaler = StandardScaler().fit(X_train)
    return (
        (scaler.transform(X_train), y_train),
        (scaler.transform(X_valid), y_valid),
        (scaler.transform(X_test), y_test),
    )


def build_fashion(meta=None):
    import keras

    model = keras.models.Sequential(
        [
            keras.layers.Input(shape=[28, 28]),
            keras.layers.Flatten(),
            keras.layers.Dense(300, activation="relu"),
            keras.layers.Dense(100, activation="relu"),
            keras.layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(
        loss="sparse_categorical_crossentropy",
        optimizer=keras.optimizers.SGD(learning_rate=0.01),
        metrics=["accuracy"],
    )
    return model


def build_wide_deep(meta=None):
    import keras

    input_ = keras.layers.Input(shape=[8])
    hidden1 = keras.layers.Dense(30, activation="relu")(input_)
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.Concatenate()([input_, hidden2])
    output = keras.layers.Dense(1)(concat)
    model = keras.Model(inputs=[input_], outputs=[output])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    return model


def build_two_inputs(meta=None):
    """The book's Wide & Deep with two inputs (ch. 10): X given as (X_A, X_B)."""
    import keras

    input_A = keras.layers.Input(shape=[5], name="wide_input")
    input_B = keras.layers.Input(shape=[6], name="deep_input")
    hidden1 = keras.layers.Dense(30, activation="relu")(input_B)
    hidden2 = keras.layers.Dense(30, activation="relu")(hidden1)
    concat = keras.layers.concatenate([input_A, hidden2])
    output = keras.layers.Dense(1, name="output")(concat)
    model = keras.Model(inputs=[input_A, input_B], outputs=[output])
    model.compile(loss="mse", optimizer=keras.optimizers.SGD(learning_rate=1e-3))
    return model


def two_inputs(data):
    """Each X of ``data`` as the book's (X[:, :5], X[:, 2:])."""
    return [((X[:, :5], X[:, 2:]), y) for X, y in data]


def head(X, n):
    return tuple(part[:n] for part in X) if isinstance(X, tuple) else X[:n]


def compare(name, build, wrapper_cls, data, epochs, score):
    (X_train, y_train), (X_valid, y_valid), (X_test, y_test) = data
    wrapper = wrapper_cls(build, epochs=epochs, batch_size=BATCH, random_state=0)
    start = time.perf_counter()
    wrapper.fit(X_train, y_train, validation_data=(X_valid, y_valid))
    wrapper_fit = time.perf_counter() - start

    import keras

    plain = build()
    start = time.perf_counter()
    plain.fit(
        X_train,
        y_train,
        epochs=epochs,
        batch_size=BATCH,
        validation_data=(X_valid, y_valid),
        verbose=0,
    )
    plain_fit = time.perf_counter() - start

    one, many = head(X_test, 1), head(X_test, 10_000)
    times, _ = median_times_round_robin(
        {
            "wrapper 1": lambda: wrapper.predict(one),
            "keras 1": lambda: plain.predict(one, verbose=0),
            "wrapper 10k": lambda: wrapper.predict(many),
            "keras 10k": lambda: plain.predict(many, verbose=0),
        },
        budget_s=4.0,
    )
    wrapper_score = score(y_test, wrapper.predict(X_test))
    plain_score = score(y_test, decode(plain.predict(X_test, verbose=0)))
    return {
        "model": name,
        "backend": keras.backend.backend(),
        "epochs": epochs,
        "wrapper fit s": round(wrapper_fit, 2),
        "model.fit s": round(plain_fit, 2),
        "fit ratio": ratio(wrapper_fit, plain_fit),
        "predict 1 ms": round(times["wrapper 1"] * 1e3, 3),
        "model.predict 1 ms": round(times["keras 1"] * 1e3, 3),
        "predict 1 ratio": ratio(times["wrapper 1"], times["keras 1"]),
        "predict 10k ms": round(times["wrapper 10k"] * 1e3, 2),
        "model.predict 10k ms": round(times["keras 10k"] * 1e3, 2),
        "predict 10k ratio": ratio(times["wrapper 10k"], times["keras 10k"]),
        "wrapper test score": round(wrapper_score, 4),
        "model test score": round(plain_score, 4),
    }


def decode(raw):
    raw = np.asarray(raw)
    return raw.argmax(axis=1) if raw.shape[1] > 1 else raw.ravel()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument(
        "--models",
        nargs="+",
        default=["fashion", "wide_deep", "two_inputs"],
        help="which models",
    )
    args = parser.parse_args()
    use_shared_data()
    warnings.filterwarnings("ignore", category=UserWarning)
    from sklearn.metrics import accuracy_score, r2_score

    from skdeep.wrappers import KerasClassifier, KerasRegressor

    rows = []
    if "fashion" in args.models:
        rows.append(
            compare(
                "Fashion-MNIST Sequential 300-100 (accuracy)",
                build_fashion,
                KerasClassifier,
                fashion_data(),
                args.epochs,
                accuracy_score,
            )
        )
        print(format_table(rows[-1:]), flush=True)
    if "wide_deep" in args.models:
        rows.append(
            compare(
                "California Wide & Deep functional (R2)",
                build_wide_deep,
                KerasRegressor,
                housing_data(),
                args.epochs,
                r2_score,
            )
        )
    if "two_inputs" in args.models:
        rows.append(
            compare(
                "California Wide & Deep, two inputs (R2)",
                build_two_inputs,
                KerasRegressor,
                two_inputs(housing_data()),
                args.epochs,
                r2_score,
            )
        )
    met = all(
        row["fit ratio"] <= 0.5
        and row["predict 1 ratio"] <= 0.1
        and row["predict 10k ratio"] <= 0.1
        for row in rows
    )
    import keras

    write_results(
        f"wrappers_keras_models_{keras.backend.backend()}",
        rows,
        batch_size=BATCH,
        target="fit <= 0.5x model.fit; predict 1 row and 10k rows <= 0.1x "
        "model.predict; equal test score within noise",
        met=met,
    )
    print(f"targets met: {met}")


if __name__ == "__main__":
    main()
