"""How much does sharing one compiled step across fits of one network save?

The fast loops (``skdeep/_bridge/engine``) trace (TensorFlow) or compile (JAX) each
network's epoch; ``EpochLoop.share`` lets every later fit of the same network (a
search's folds and candidates, refits, the common checks) run that step instead of
tracing its own. This times the fits a search makes, after a first fit of the same
network, with the sharing on (the default) and off (``EpochLoop.share`` a no-op),
on the Keras backend in use:

- ``KerasClassifier`` on a small network (a build function, 20 epochs);
- ``TabularMLPClassifier()`` with its defaults (40 epochs);

each on 200 rows of a synthetic 2-class table. ``--fits`` fits per row (default 5),
the median fit time reported. The two variants run in turns, in one process.

    python benchmarks/shared_step.py [--fits 5]
"""

import argparse
import statistics
import time


def _data():
    from sklearn.datasets import make_classification

    return make_classification(200, 8, random_state=0)


def _small_network(meta):
    import keras

    return keras.Sequential(
        [
            keras.Input(meta["X_shape_"][1:]),
            keras.layers.Dense(32, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )


def _estimators():
    from skdeep.neural_network import TabularMLPClassifier
    from skdeep.wrappers import KerasClassifier

    return {
        "KerasClassifier (2 Dense layers, 20 epochs)": lambda seed: KerasClassifier(
            _small_network, epochs=20, random_state=seed
        ),
        "TabularMLPClassifier()": lambda seed: TabularMLPClassifier(random_state=seed),
    }


def main():
    import keras

    from skdeep._bridge.engine import _loop

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=5)
    args = parser.parse_args()
    engine = _loop._backend_module()
    shared = engine.EpochLoop.share
    X, y = _data()
    rows = []
    for name, make in _estimators().items():
        times = {"shared": [], "own": []}
        make(0).fit(X, y)  # imports, and the shared step's first trace
        for seed in range(1, args.fits + 1):
            for variant in ("shared", "own"):
                engine.EpochLoop.share = (
                    shared if variant == "shared" else lambda self, key, make: None
                )
                start = time.perf_counter()
                make(seed).fit(X, y)
                times[variant].append(time.perf_counter() - start)
        engine.EpochLoop.share = shared
        own, with_sharing = (statistics.median(times[v]) for v in ("own", "shared"))
        rows.append(
            {
                "estimator": name,
                "fit s, own step": round(own, 3),
                "fit s, shared step": round(with_sharing, 3),
                "speed-up": round(own / with_sharing, 1),
            }
        )
        print(rows[-1], flush=True)
    from _common import write_results

    write_results(
        f"shared_step_{keras.backend.backend()}",
        rows,
        question="median fit time of a search's fits after the first, with the "
        "compiled step shared across fits of one network and without",
        fits=args.fits,
        n_rows=len(y),
    )


if __name__ == "__main__":
    main()
