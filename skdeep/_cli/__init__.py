"""The ``skdeep`` command: ``tour``, ``fit``, ``predict``, ``score`` and ``info``."""

import argparse
import os
import signal
import sys

from skdeep._cli._errors import CommandError

_EPILOG = """\
examples:
  skdeep tour                                   every estimator on built-in data
  skdeep fit MLPClassifier --data train.csv --target label --output model.joblib
  skdeep fit MLPRegressor --data houses.csv --target price --output model.skops
  skdeep predict model.joblib new.csv --output predictions.csv
  skdeep score model.joblib test.csv --target label
  skdeep info model.joblib
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake is one line on stderr (exit 2)."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _add_sep(parser):
    parser.add_argument(
        "--sep",
        metavar="CHAR",
        help="CSV delimiter (tab or \\t for a tab); by default sniffed among "
        "comma, semicolon, tab and bar",
    )


def _build_parser():
    parser = _Parser(
        prog="skdeep",
        description="scikit-learn estimators for deep learning, on the command line.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from skdeep import __version__

    parser.add_argument("--version", action="version", version=f"skdeep {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser(
        "tour",
        help="every estimator in a realistic workflow on built-in data",
        description="Fit, tune, save and reload every skdeep estimator on data that "
        "ships with scikit-learn or is generated; print a summary table and write "
        "figures. Uses California housing when its copy is in scikit-learn's data "
        "folder (SCIKIT_LEARN_DATA), else the diabetes data.",
    )
    p.add_argument("--quick", action="store_true", help="smaller data, fewer epochs")
    p.add_argument(
        "--n-iter",
        type=int,
        default=None,
        help="search candidates (default 6, 2 quick)",
    )
    p.add_argument("--random-state", type=int, default=0, help="seed of every step")
    p.add_argument(
        "--output",
        default="skdeep-tour",
        help="folder for models and figures (default ./skdeep-tour)",
    )
    p.set_defaults(func="tour")

    from skdeep._cli._commands import ESTIMATORS

    p = sub.add_parser(
        "fit",
        help="train an estimator on a CSV or Parquet table",
        description="Train ESTIMATOR on a table and write a model file. Numeric "
        "and boolean columns are standardised (--no-scale to keep them as they are); "
        "text and categorical columns are one-hot encoded (unseen categories at "
        "predict time get all zeros). Columns with missing values, dates, or text "
        "with more distinct values than half the rows are refused with their name. "
        "For ClusterPropagationClassifier an empty target cell marks an unlabelled "
        "row. Regressors standardise the target and give predictions back in its "
        "units (--no-scale-target to fit it as it is). Files, columns and "
        "parameters are checked before TensorFlow loads.",
    )
    p.add_argument("estimator", metavar="ESTIMATOR", help=", ".join(ESTIMATORS))
    p.add_argument("--data", required=True, help="training table (.csv or .parquet)")
    _add_sep(p)
    p.add_argument("--target", help="label column (not for unsupervised estimators)")
    p.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="estimator parameter, a Python literal or a string; repeat for several",
    )
    p.add_argument("--drop", action="append", metavar="COLUMN", help="ignore a column")
    p.add_argument("--no-scale", action="store_true", help="do not standardise numbers")
    p.add_argument(
        "--no-scale-target",
        action="store_true",
        help="regressors: fit the target as it is; by default it is standardised "
        "(TransformedTargetRegressor with StandardScaler) and predictions are "
        "given back in its units",
    )
    p.add_argument(
        "--search",
        choices=["random"],
        help="tune with RandomizedSearchCV over a built-in space; --param fixes one",
    )
    p.add_argument("--n-iter", type=int, help="search candidates (default 10)")
    p.add_argument("--cv", type=int, help="search folds (default 5)")
    p.add_argument("--random-state", type=int, help="seed of the estimator and search")
    p.add_argument(
        "--output",
        required=True,
        help="model file to write; the extension picks the format: .skops "
        "(skdeep.save, loads without running code), .joblib or .pkl (joblib)",
    )
    p.set_defaults(func="fit")

    p = sub.add_parser(
        "predict",
        help="predict every row of a table",
        description="Predict every row of DATA with a model file; CSV to --output or "
        "to standard output. The columns the model was trained on are used; others "
        "are ignored.",
    )
    p.add_argument("model", metavar="MODEL", help="model file from skdeep fit")
    p.add_argument("data", metavar="DATA", help="table (.csv or .parquet)")
    _add_sep(p)
    p.add_argument("--proba", action="store_true", help="class probabilities")
    p.add_argument("--output", help="CSV file to write (default: standard output)")
    p.set_defaults(func="predict")

    p = sub.add_parser(
        "score",
        help="score a model on a labelled table",
        description="Print the model's score on DATA: accuracy for classifiers, R² "
        "for regressors, mean log-likelihood for the anomaly detector, silhouette "
        "(adjusted Rand index with --target) for DBSCANPredictor.",
    )
    p.add_argument("model", metavar="MODEL", help="model file from skdeep fit")
    p.add_argument("data", metavar="DATA", help="table (.csv or .parquet)")
    _add_sep(p)
    p.add_argument("--target", help="label column")
    p.set_defaults(func="score")

    p = sub.add_parser(
        "info",
        help="show what a model file holds",
        description="Print the estimator, its parameters, the versions that wrote the "
        "file and the training summary.",
    )
    p.add_argument("model", metavar="MODEL", help="model file")
    p.add_argument("--all", action="store_true", help="list every parameter")
    p.set_defaults(func="info")
    return parser


def main(argv=None):
    """Run the ``skdeep`` command line and return its exit status.

    The command owns its process: it silences TensorFlow's start-up logging before
    TensorFlow loads. The library itself never does.

    Parameters
    ----------
    argv : list of str or None, default=None
        The arguments after ``skdeep``; None reads ``sys.argv``.

    Returns
    -------
    status : int
        0 on success, 1 for an error in the files or values given, 2 for a
        command-line usage error, 130 when interrupted (Ctrl-C), 141 when the
        reader of standard output went away (``skdeep predict ... | head``).

    Examples
    --------
    >>> from skdeep.cli import main
    >>> main(["info", "no-such-model.joblib"])
    1
    """
    command = "skdeep"
    if argv is None:  # the command's own process
        sys.unraisablehook = _redeliver_interrupts(sys.unraisablehook)
    try:
        args = _build_parser().parse_args(argv)
        command = f"skdeep {args.command}"
        status = _run(args)
        sys.stdout.flush()  # a closed pipe shows here, not at exit
        return status
    except CommandError as exc:
        print(f"{command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return _stdout_closed()
    except KeyboardInterrupt:
        return _interrupted(command, own_process=argv is None)


def _redeliver_interrupts(hook):
    """Take Ctrl-C for the command's own process: one KeyboardInterrupt, never lost.

    Returns an ``unraisablehook`` that hands a Ctrl-C back to the main thread.
    Python runs a Ctrl-C's KeyboardInterrupt wherever the main thread is; when that
    is a finaliser (a ``__del__`` that garbage collection ran in the middle of a
    fit: TensorFlow's objects have them), Python prints "Exception ignored" and goes
    on, and the command would run to its end. This raises it again in the main
    thread, outside the finaliser; any other unraisable exception goes to ``hook``.

    Where SIGINT has Python's default handler (not where it is ignored, as in a
    background job), it also installs a handler that raises KeyboardInterrupt once:
    a second Ctrl-C that arrives while the first one unwinds (out of TensorFlow's
    import, say, before ``_interrupted`` runs) is ignored instead of interrupting
    the clean-up.
    """
    import _thread
    import threading

    # A thread of its own interrupts the main thread: called from the hook (in the
    # main thread) interrupt_main would raise inside the hook, which Python ignores
    # too, and starting a thread there waits, where the interrupt would land again.
    wanted = threading.Event()
    raised = threading.Event()  # a KeyboardInterrupt is on its way up

    def interrupter():
        while True:
            wanted.wait()
            wanted.clear()
            _thread.interrupt_main()

    threading.Thread(target=interrupter, name="skdeep-ctrl-c", daemon=True).start()

    def on_ctrl_c(signum, frame):
        if not raised.is_set():
            raised.set()
            raise KeyboardInterrupt

    # a fit holds Ctrl-C back while it records an epoch, then hands it to this
    # handler (``neural_network._epochs.InterruptHold``)
    on_ctrl_c.raises_keyboard_interrupt = True

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_ctrl_c)

    def redeliver(unraisable):
        if unraisable.exc_type is KeyboardInterrupt:
            raised.clear()  # that one was lost: the next one goes up
            wanted.set()
        else:
            hook(unraisable)

    return redeliver


def _run(args):
    if args.func == "tour":
        from skdeep._cli._tour import tour

        return tour(args)
    from skdeep._cli import _commands

    return getattr(_commands, args.func)(args)


def _stdout_closed():
    """The reader of standard output went away (``| head``): end quietly.

    As Python's documentation advises (signal module, "Note on SIGPIPE"): point
    standard output at devnull so the flush at exit raises nothing, and exit with
    the status of a process ended by SIGPIPE.
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    return 128 + signal.SIGPIPE


def _interrupted(command, *, own_process):
    """Ctrl-C: one line on stderr, status 130, whatever was running.

    A second Ctrl-C is ignored from here on. When the command owns its process, it
    ends with ``os._exit`` once its streams are flushed: a normal interpreter exit
    would tear down modules while TensorFlow's threads run, or finalise a
    TensorFlow whose import was cut short, which can crash (a segmentation fault).
    """
    from skdeep._cli._quiet import restore_stderr

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    restore_stderr()  # TensorFlow's held-back log is dropped, never replayed
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    try:
        print(f"{command}: interrupted", file=sys.stderr, flush=True)
    except (OSError, ValueError):
        pass
    if own_process:
        os._exit(130)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    return 130
