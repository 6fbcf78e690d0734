"""``skdeep fit``, ``predict``, ``score`` and ``info`` on the user's own tables."""

import ast
import difflib
import importlib
import sys
import time
import warnings

from skdeep._cli._errors import CommandError
from skdeep._cli._model_file import check_output, load_model, read_envelope, save_model
from skdeep._cli._quiet import load_tensorflow_quietly
from skdeep._cli._tables import (
    check_exists,
    check_like_training,
    feature_kinds,
    read_table,
    split_columns,
    write_table,
)

# estimator -> (subpackage, task). The task decides how --target is used.
# KerasClassifier / KerasRegressor (skdeep.wrappers) wrap a Keras model written in
# Python, which a command line cannot pass; they are not listed here.
ESTIMATORS = {
    "MLPClassifier": ("skdeep.neural_network", "classification"),
    "MLPRegressor": ("skdeep.neural_network", "regression"),
    "WideDeepRegressor": ("skdeep.neural_network", "regression"),
    "ClusterPropagationClassifier": ("skdeep.semi_supervised", "semi-supervised"),
    "GaussianMixtureAnomalyDetector": ("skdeep.anomaly", "anomaly detection"),
    "DBSCANPredictor": ("skdeep.cluster", "clustering"),
}
_SUPERVISED = ("classification", "regression", "semi-supervised")
_PROBABILISTIC = ("classification", "semi-supervised")


def _search_space(name):
    """Parameter distributions of ``skdeep fit --search random``."""
    from scipy.stats import loguniform, randint

    if ESTIMATORS[name][0] == "skdeep.neural_network":
        return {
            "hidden_layer_sizes": [(32,), (64,), (128,), (64, 32), (128, 64)],
            "learning_rate_init": loguniform(3e-4, 3e-2),
            "alpha": loguniform(1e-5, 1e-2),
            "batch_size": [32, 64, 128, 256],
        }
    if name == "ClusterPropagationClassifier":
        return {
            "n_clusters": randint(5, 101),
            "propagation": ["percentile", "cluster", "graph"],
        }
    if name == "GaussianMixtureAnomalyDetector":
        return {
            "n_components": list(range(1, 11)),
            "covariance_type": ["full", "diag", "tied", "spherical"],
        }
    return {  # DBSCANPredictor, on standardised features
        "eps": loguniform(0.05, 2.0),
        "min_samples": randint(3, 21),
    }


def resolve_estimator(name):
    """The public name of estimator ``name`` (case-insensitive); imports nothing."""
    by_lower = {key.lower(): key for key in ESTIMATORS}
    key = by_lower.get(name.lower())
    if key is None:
        close = difflib.get_close_matches(name, list(ESTIMATORS), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise CommandError(
            f"unknown estimator {name!r}{hint}; choose one of: {', '.join(ESTIMATORS)}"
        )
    return key


def estimator_class(name):
    """The class of estimator ``name``; the networks' subpackage imports Keras."""
    module, _ = ESTIMATORS[name]
    if module == "skdeep.neural_network":
        _load_tensorflow()
    return getattr(importlib.import_module(module), name)


def _load_tensorflow():
    if "tensorflow" in sys.modules:
        return
    print("loading TensorFlow ...", end="", flush=True)
    start = time.perf_counter()
    load_tensorflow_quietly()
    print(f" {time.perf_counter() - start:.1f} s", flush=True)


def parameter_constraints(name):
    """The ``_parameter_constraints`` of estimator ``name``, without Keras.

    Its keys are the estimator's parameters. The networks' dicts come from
    ``skdeep.neural_network._parameters``, which imports neither Keras nor
    TensorFlow; the other estimators' modules never do.
    """
    module, _ = ESTIMATORS[name]
    if module == "skdeep.neural_network":
        from skdeep.neural_network._parameters import PARAMETER_CONSTRAINTS

        return PARAMETER_CONSTRAINTS[name]
    return getattr(importlib.import_module(module), name)._parameter_constraints


def _parse_value(text):
    """A Python literal (``64``, ``(64, 32)``, ``None``) or the plain string."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def parse_params(pairs, name):
    """``{name: value}`` from ``name=value`` strings, checked as the estimator would.

    Names against the estimator's parameters, values with scikit-learn's
    ``validate_parameter_constraints`` and the estimator's own constraints (so the
    message is the one ``fit`` would give), before TensorFlow is imported.
    """
    if not pairs:
        return {}
    from sklearn.utils._param_validation import (
        InvalidParameterError,
        validate_parameter_constraints,
    )

    constraints = parameter_constraints(name)
    params = {}
    for pair in pairs or ():
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise CommandError(f"--param takes name=value, got {pair!r}")
        if key not in constraints:
            close = difflib.get_close_matches(key, list(constraints), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise CommandError(
                f"{name} has no parameter {key!r}{hint}; "
                f'see `python -c "import skdeep; help(skdeep.{name})"`'
            )
        params[key] = _parse_value(value.strip())
    try:
        validate_parameter_constraints(
            {key: constraints[key] for key in params}, params, caller_name=name
        )
    except InvalidParameterError as exc:
        raise CommandError(_one_line(exc)) from None
    return params


def _one_line(exc):
    return " ".join(str(exc).split())


def _make_pipeline(estimator, numeric, categorical, scale):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    parts = []
    if numeric:
        parts.append(("numeric", StandardScaler() if scale else "passthrough", numeric))
    if categorical:
        parts.append(
            (
                "one_hot",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                categorical,
            )
        )
    features = ColumnTransformer(parts, remainder="drop")
    return Pipeline([("features", features), ("estimator", estimator)])


def _target(frame, target, task, path):
    import numpy as np
    import pandas as pd

    y = frame[target]
    if task == "semi-supervised":
        # empty cells are the unlabelled rows (scikit-learn's -1)
        if y.isna().all():
            raise CommandError(f"target column {target!r} of {path} has no label")
        if pd.api.types.is_numeric_dtype(y):
            return y.fillna(-1).to_numpy()
        return np.array([-1 if pd.isna(v) else v for v in y], dtype=object)
    n_missing = int(y.isna().sum())
    if n_missing:
        raise CommandError(
            f"target column {target!r} of {path} has {n_missing} missing value(s): "
            "drop those rows first"
        )
    if task == "regression" and not pd.api.types.is_numeric_dtype(y):
        raise CommandError(
            f"target column {target!r} of {path} is not numeric, but "
            "regression needs numbers (use MLPClassifier for categories)"
        )
    return y.to_numpy()


def _metric_name(task):
    return {
        "classification": "accuracy",
        "semi-supervised": "accuracy on the labelled rows",
        "regression": "R²",
        "anomaly detection": "mean log-likelihood (higher is better)",
        "clustering": "silhouette of the predicted clusters",
    }[task]


def fit(args):
    """``skdeep fit``: train an estimator on a table and write a model file.

    Every check on the command line and the files (estimator, parameters, output,
    table, columns, target) runs before TensorFlow is imported.
    """
    name = resolve_estimator(args.estimator)
    module, task = ESTIMATORS[name]
    check_output(args.output)
    check_exists(args.data)
    if args.search is None and (args.n_iter is not None or args.cv is not None):
        raise CommandError("--n-iter and --cv need --search random")
    supervised = task in _SUPERVISED
    if supervised and args.target is None:
        raise CommandError(
            f"{name} learns from labels: give the label column, --target"
        )
    if not supervised and args.target is not None:
        raise CommandError(
            f"{name} is unsupervised and takes no --target; leave a column out of "
            "the features with --drop"
        )
    scale_target = task == "regression" and not args.no_scale_target
    if args.no_scale_target and task != "regression":
        raise CommandError(f"--no-scale-target is for regressors, not {name}")
    params = parse_params(args.param, name)
    frame = read_table(args.data, args.sep)
    used = [args.target] if args.target is not None else []
    split_columns(frame, args.data, used + list(args.drop or ()))
    X = frame.drop(columns=used + list(args.drop or ()))
    if X.shape[1] == 0:
        raise CommandError(f"{args.data} has no feature column left")
    numeric, categorical = feature_kinds(X, args.data)
    y = _target(frame, args.target, task, args.data) if supervised else None

    if args.random_state is not None and "random_state" in parameter_constraints(name):
        params.setdefault("random_state", args.random_state)
    cls = estimator_class(name)
    estimator = cls(**params)
    prefix = "estimator__"
    if scale_target:
        from sklearn.compose import TransformedTargetRegressor
        from sklearn.preprocessing import StandardScaler

        estimator = TransformedTargetRegressor(
            regressor=estimator, transformer=StandardScaler()
        )
        prefix = "estimator__regressor__"
    model = _make_pipeline(estimator, numeric, categorical, not args.no_scale)
    search_summary = None
    if args.search is not None:
        from sklearn.model_selection import RandomizedSearchCV

        space = {
            f"{prefix}{k}": v
            for k, v in _search_space(name).items()
            if k not in params or k == "random_state"
        }
        cv = args.cv or 5
        scoring = None
        if task == "semi-supervised":
            from skdeep.semi_supervised import LabelledKFold, labelled_scorer

            cv, scoring = LabelledKFold(cv), labelled_scorer()
        model = RandomizedSearchCV(
            model,
            space,
            n_iter=args.n_iter or 10,
            cv=cv,
            scoring=scoring,
            random_state=args.random_state,
        )
    print(
        f"fitting {name} on {X.shape[0]} rows x {X.shape[1]} columns"
        + (f" ({len(categorical)} one-hot encoded)" if categorical else "")
        + (", target standardised" if scale_target else "")
        + " ...",
        end="",
        flush=True,
    )
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y)
    except (ValueError, TypeError) as exc:
        print(flush=True)
        raise CommandError(f"{name} could not be fitted: {_one_line(exc)}") from None
    seconds = time.perf_counter() - start
    print(f" {seconds:.1f} s", flush=True)
    _report_warnings(caught)
    if args.search is not None:
        search_summary = {
            "candidates": int(args.n_iter or 10),
            "cv": int(args.cv or 5),
            "best_params": {
                k.removeprefix(prefix): _plain(v) for k, v in model.best_params_.items()
            },
            "best_cv_score": float(model.best_score_),
        }
        model = model.best_estimator_
    fitted = model.named_steps["estimator"]
    if scale_target:
        fitted = fitted.regressor_
    summary = {
        "estimator": name,
        "task": task,
        "parameters": {k: _plain(v) for k, v in fitted.get_params(deep=False).items()},
        "changed_parameters": _changed_parameters(fitted, cls),
        "data": str(args.data),
        "n_rows": int(X.shape[0]),
        "features": list(X.columns),
        "one_hot_columns": categorical,
        "scaled": not args.no_scale,
        "target_scaled": scale_target,
        "target": args.target,
        "classes": [_plain(c) for c in getattr(fitted, "classes_", [])],
        "fit_seconds": round(seconds, 3),
        "search": search_summary,
        "fitted_at": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
    if supervised:
        summary["training_score"] = _score(model, X, y, task)
    save_model(model, args.output, summary)
    if search_summary:
        print(
            f"search: {search_summary['candidates']} candidates x "
            f"{search_summary['cv']} folds, best CV score "
            f"{search_summary['best_cv_score']:.4f} "
            f"with {search_summary['best_params']}"
        )
    if supervised:
        print(f"training {_metric_name(task)}: {summary['training_score']:.4f}")
    print(f"model written to {args.output}")
    return 0


def _changed_parameters(fitted, cls):
    """Names of the parameters that differ from ``cls``'s defaults."""
    defaults = cls().get_params(deep=False)
    return sorted(
        name
        for name, value in fitted.get_params(deep=False).items()
        if repr(_plain(value)) != repr(_plain(defaults.get(name)))
    )


def _report_warnings(caught):
    seen = set()
    for w in caught:
        text = f"{w.category.__name__}: {_one_line(w.message)}"
        if text not in seen:
            seen.add(text)
            print(f"warning: {text}", file=sys.stderr)


def _plain(value):
    """A value printable and picklable without skdeep or numpy types."""
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool, type(None))):
        return value
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return repr(value)


def _score(model, X, y, task):
    if task == "semi-supervised":
        from skdeep.semi_supervised import labelled_scorer

        return float(labelled_scorer()(model, X, y))
    return float(model.score(X, y))


def _features_for(envelope, frame, path):
    """The columns of ``frame`` the model was trained on, in training order.

    Checked against the training summary (names, missing values, text where the
    model saw numbers), before the model is loaded. None for a model trained on a
    plain array (the tour's): its column count is checked once it is loaded.
    """
    summary = envelope["summary"]
    features = summary.get("features")
    if features is None:
        return None
    split_columns(frame, path, features)
    X = frame[features]
    one_hot = set(summary.get("one_hot_columns") or ())
    check_like_training(X, path, [c for c in features if c not in one_hot])
    return X


def _load_for(args, envelope, frame, X):
    """The model of ``args.model``; ``X`` for a model without feature names."""
    model, envelope = load_model(args.model, envelope)
    for message in envelope.get("warnings", ()):
        print(f"skdeep {args.command}: warning: {message}", file=sys.stderr)
    if X is None:
        n = getattr(model, "n_features_in_", frame.shape[1])
        if frame.shape[1] != n:
            raise CommandError(
                f"{args.data} has {frame.shape[1]} columns, the model expects {n}"
            )
        X = frame
    return model, X


def predict(args):
    """``skdeep predict``: predictions for every row of a table, as CSV.

    The files and columns are checked before the model is loaded; TensorFlow is
    imported only when the model holds a Keras network.
    """
    envelope = read_envelope(args.model)
    summary = envelope["summary"]
    estimator = summary.get("estimator", "the model")
    if args.proba and summary.get("task") not in (None, *_PROBABILISTIC):
        raise CommandError(f"{estimator} gives no probabilities: drop --proba")
    frame = read_table(args.data, args.sep)
    X = _features_for(envelope, frame, args.data)
    model, X = _load_for(args, envelope, frame, X)
    import pandas as pd

    try:
        if args.proba:
            if not hasattr(model, "predict_proba"):
                raise CommandError(f"{estimator} gives no probabilities: drop --proba")
            proba = model.predict_proba(X)
            classes = getattr(model, "classes_", range(proba.shape[1]))
            out = pd.DataFrame(proba, columns=[f"proba_{c}" for c in classes])
        else:
            column = summary.get("target") or "prediction"
            out = pd.DataFrame({column: model.predict(X)})
    except (ValueError, TypeError) as exc:
        raise CommandError(f"cannot predict {args.data}: {_one_line(exc)}") from None
    write_table(out, args.output)
    if args.output is not None:
        print(f"{len(out)} predictions written to {args.output}")
    return 0


def score(args):
    """``skdeep score``: the model's score on a labelled table."""
    envelope = read_envelope(args.model)
    summary = envelope["summary"]
    task = summary.get("task")
    if args.target is None and task in _SUPERVISED:
        raise CommandError(
            f"scoring {summary.get('estimator')} needs the label column, --target"
        )
    frame = read_table(args.data, args.sep)
    y = None
    if args.target is not None:
        split_columns(frame, args.data, [args.target])
        y = _target(frame, args.target, task or "classification", args.data)
        frame = frame.drop(columns=[args.target])
    X = _features_for(envelope, frame, args.data)
    model, X = _load_for(args, envelope, frame, X)
    try:
        value = _score(model, X, y, task) if y is not None else float(model.score(X))
    except (ValueError, TypeError) as exc:
        raise CommandError(f"cannot score {args.data}: {_one_line(exc)}") from None
    metric = _metric_name(task) if task else "score"
    if task == "clustering" and y is not None:
        metric = "adjusted Rand index"
    if task == "anomaly detection" and y is not None:
        metric = "mean log-likelihood of the rows labelled normal"
    print(f"{metric}: {value:.4f}")
    return 0


def info(args):
    """``skdeep info``: what a model file holds; never imports TensorFlow."""
    envelope = read_envelope(args.model)
    summary, versions = envelope["summary"], envelope["versions"]
    lines = [
        f"estimator:   {summary.get('estimator')} ({summary.get('task')})",
        f"written by:  skdeep {versions.get('skdeep')}, scikit-learn "
        f"{versions.get('scikit-learn')}, Python {versions.get('python')}",
    ]
    if summary.get("data"):
        lines.append(
            f"trained on:  {summary['data']}, {summary.get('n_rows')} rows, "
            f"{len(summary.get('features') or [])} feature columns"
            + (f", target {summary['target']!r}" if summary.get("target") else "")
        )
    if summary.get("features"):
        lines.append(f"features:    {', '.join(summary['features'])}")
    if summary.get("target_scaled"):
        lines.append("target:      standardised (TransformedTargetRegressor)")
    if summary.get("one_hot_columns"):
        lines.append(f"one-hot:     {', '.join(summary['one_hot_columns'])}")
    if summary.get("classes"):
        lines.append(f"classes:     {', '.join(str(c) for c in summary['classes'])}")
    if summary.get("fit_seconds") is not None:
        lines.append(f"fit time:    {summary['fit_seconds']:.1f} s")
    if summary.get("training_score") is not None:
        lines.append(
            f"training {_metric_name(summary['task'])}: {summary['training_score']:.4f}"
        )
    for key, value in (summary.get("scores") or {}).items():
        lines.append(f"{key}: {value}")
    search = summary.get("search")
    if search:
        lines.append(
            f"search:      {search['candidates']} candidates x {search['cv']} folds, "
            f"best CV score {search['best_cv_score']:.4f}"
        )
    params = summary.get("parameters") or {}
    changed = summary.get("changed_parameters")
    if params and not args.all and changed is not None:
        params = {k: params[k] for k in changed}
        lines.append(
            "parameters set (the others at their defaults; --all lists every one):"
            if params
            else "parameters:  all at their defaults (--all lists them)"
        )
    elif params:
        lines.append("parameters:")
    lines.extend(f"  {k} = {v!r}" for k, v in sorted(params.items()))
    print("\n".join(lines))
    return 0
