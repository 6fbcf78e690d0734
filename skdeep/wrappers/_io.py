"""Several inputs and outputs: X and y given per model input or output.

X may be a tuple or list of arrays (one per model input, by position) or a dict
(by input name); the ``input_features`` parameter declares a split of one 2-D table
into the inputs instead, the form scikit-learn's tools (searches, pipelines,
cross-validation) can index. y may be a list or dict of arrays, one per output,
or one array used for every output. Inside the wrappers both travel as lists in
the model's order.
"""

import numpy as np
from scipy.sparse import issparse
from sklearn.utils.validation import check_array

from skdeep.utils._columns import column_positions


def is_multi_input(X):
    """Whether ``X`` holds one array per model input (a dict, or a tuple or list
    of 2-D or higher arrays; a list of 1-D rows is one table)."""
    if issparse(X):  # a DOK matrix is a dict
        return False
    if isinstance(X, dict):
        return True
    return (
        isinstance(X, (list, tuple))
        and len(X) > 0
        and all(getattr(part, "ndim", 0) >= 2 for part in X)
    )


def is_multi_output(y, n_rows=None):
    """Whether ``y`` holds one target per model output: a dict, or a tuple or list
    of arrays, each with ``n_rows`` entries when that is known (a list of
    ``n_rows`` row arrays, or of plain values or lists, is one target)."""
    if issparse(y):
        return False
    if isinstance(y, dict):
        return True
    if not (
        isinstance(y, (list, tuple))
        and len(y) > 0
        and all(hasattr(part, "shape") and getattr(part, "ndim", 0) >= 1 for part in y)
    ):
        return False
    if n_rows is None:
        return True
    return len(y) != n_rows and all(len(part) == n_rows for part in y)


def check_inputs(X, dtype="numeric"):
    """Each input validated as scikit-learn validates X; the same number of rows
    in all. A dict stays a dict (matched to the model's input names later)."""
    if len(X) == 0:
        raise ValueError("X holds no inputs.")
    items = X.items() if isinstance(X, dict) else enumerate(X)
    checked = {
        key: check_array(
            part,
            dtype=dtype,
            allow_nd=True,
            ensure_all_finite=True,
            input_name=f"X[{key!r}]",
        )
        for key, part in items
    }
    check_rows(checked, "X")
    return checked if isinstance(X, dict) else list(checked.values())


def check_rows(parts, what, n_rows=None):
    """Raise unless every array in ``parts`` (a dict) has ``n_rows`` rows (or the
    same number)."""
    rows = {key: len(part) for key, part in parts.items()}
    expected = set(rows.values()) if n_rows is None else {n_rows}
    if len(set(rows.values()) | expected) > 1:
        listed = ", ".join(f"{what}[{key!r}]: {n}" for key, n in rows.items())
        tail = "" if n_rows is None else f" (X has {n_rows})"
        raise ValueError(
            f"The arrays of {what} have different numbers of rows ({listed}){tail}; "
            "every input and output needs one row per sample."
        )


def input_names(model):
    """The names of a built model's inputs, in order (None when not known)."""
    inputs = getattr(model, "inputs", None)
    if not inputs:
        return None
    return [getattr(t, "name", None) for t in inputs]


def output_names(model):
    names = getattr(model, "output_names", None)
    return list(names) if names else None


def by_position(parts, names, what, model_name):
    """A dict of arrays as a list in the order of ``names`` (a model's inputs or
    outputs); a list is checked for length."""
    if isinstance(parts, dict):
        if names is None or None in names:
            raise ValueError(
                f"{what} is a dict, but the model's {what} names are not known "
                f"(a subclassed model): pass {what} as a list in the model's order."
            )
        if set(parts) != set(names):
            raise ValueError(
                f"{what} has the keys {sorted(parts)}; the model {model_name!r} "
                f"has the {what} names {names}."
            )
        return [parts[name] for name in names]
    if names is not None and len(parts) != len(names):
        raise ValueError(
            f"{what} holds {len(parts)} arrays; the model {model_name!r} has "
            f"{len(names)} ({names})."
        )
    return list(parts)


def split_columns(X, input_features, feature_names=None):
    """One 2-D table as the model's inputs: ``input_features`` lists, per input,
    its columns (as ``WideDeepRegressor``'s ``wide_features``: positions, a slice,
    a boolean mask, or names when X had string column names); a dict maps input
    names to columns."""
    items = (
        input_features.items()
        if isinstance(input_features, dict)
        else enumerate(input_features)
    )
    parts = {}
    for key, columns in items:
        if not isinstance(columns, slice) and np.ndim(columns) == 0:
            columns = [columns]  # one column
        index = column_positions(
            columns, X.shape[1], feature_names, param=f"input_features[{key!r}]"
        )
        parts[key] = X[:, index]
    return parts if isinstance(input_features, dict) else list(parts.values())


def n_rows(X):
    if isinstance(X, dict):
        return len(next(iter(X.values())))
    return len(X[0]) if isinstance(X, list) else len(X)


def first_output(y):
    """The main (first) output's target."""
    return next(iter(y.values())) if isinstance(y, dict) else y[0]


def search_hint():
    return (
        "scikit-learn's searches, pipelines and cross-validation index one 2-D X: "
        "give one table and declare its split with input_features=[cols_A, cols_B] "
        "(column indices or names per model input)."
    )
