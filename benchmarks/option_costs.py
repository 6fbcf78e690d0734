"""What each of the built-in networks' options costs in fit time (issue 22, point 5).

``MLPClassifier`` on digits (1347 training rows, standardised, 2 hidden layers of
100, 20 epochs, ``engine="auto"``), or with ``--case 45k`` on ``peers.py``'s
45k x 100 case (5 epochs, batch 32 as there): the median fit time with one option
switched on,
as a ratio of the same fit without it, and the engine that ran (``engine_``). The
target is at most 2x. The fits of one run interleave (round robin), so the machine's
load weighs on every row alike.

    python benchmarks/option_costs.py
    python benchmarks/option_costs.py --repeats 5 --max-iter 20
    python benchmarks/option_costs.py --case 45k --max-iter 5 --batch-size 32
"""

import argparse
import os
import statistics
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _common import digits_split, synthetic_45k, write_results

OPTIONS = {
    "none (plain relu)": {},
    "activation='leaky_relu'": {"activation": "leaky_relu"},
    "activation='prelu'": {"activation": "prelu"},
    "dropout=0.2": {"dropout": 0.2},
    "dropout=[0.2, 0.1] (per layer)": {"dropout": [0.2, 0.1]},
    "activation='selu'": {"activation": "selu"},
    "activation='selu', dropout=0.2 (AlphaDropout)": {
        "activation": "selu",
        "dropout": 0.2,
    },
    "max_norm=1.0": {"max_norm": 1.0},
    "l1=1e-4": {"l1": 1e-4},
    "clipnorm=1.0": {"clipnorm": 1.0},
    "clipvalue=0.5": {"clipvalue": 0.5},
    "init_from=reuse_layers(..., freeze=True)": "frozen",
}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hidden", type=int, nargs="+", default=[100, 100])
    parser.add_argument("--max-iter", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", choices=["digits", "45k"], default="digits")
    parser.add_argument("--batch-size", default="auto")
    args = parser.parse_args()

    from sklearn.exceptions import ConvergenceWarning

    from skdeep.neural_network import MLPClassifier, reuse_layers

    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    split = digits_split if args.case == "digits" else synthetic_45k
    X_train, X_test, y_train, y_test = split()
    base = {
        "hidden_layer_sizes": tuple(args.hidden),
        "max_iter": args.max_iter,
        "random_state": 0,
        "batch_size": args.batch_size
        if args.batch_size == "auto"
        else int(args.batch_size),
    }
    source = MLPClassifier(**base).fit(X_train, y_train)
    frozen = reuse_layers(source, n_layers=1, freeze=True)

    def params(option):
        extra = {"init_from": frozen} if option == "frozen" else option
        return {**base, **extra}

    times = {name: [] for name in OPTIONS}
    last = {}
    for option in OPTIONS.values():  # warm-up: first traces, imports
        MLPClassifier(**params(option)).fit(X_train, y_train)
    for _ in range(args.repeats):
        for name, option in OPTIONS.items():
            start = time.perf_counter()
            last[name] = MLPClassifier(**params(option)).fit(X_train, y_train)
            times[name].append(time.perf_counter() - start)
    plain = statistics.median(times["none (plain relu)"])
    rows = []
    for name in OPTIONS:
        seconds = statistics.median(times[name])
        rows.append(
            {
                "option": name,
                "engine_": last[name].engine_,
                "fit s": seconds,
                "x plain": seconds / plain,
                "<= 2x": "yes" if seconds / plain <= 2 else "no",
                "test accuracy": last[name].score(X_test, y_test),
            }
        )
    write_results(
        "option_costs" if args.case == "digits" else "option_costs_45k",
        rows,
        hidden=args.hidden,
        max_iter=args.max_iter,
        repeats=args.repeats,
        case=args.case,
        batch_size=args.batch_size,
    )


if __name__ == "__main__":
    main()
