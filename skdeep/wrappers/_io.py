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
from sklearn.utils.validation import _num_samples, check_array, validate_data

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


class InputsOutputsMixin:
    """X and y validated per model input and output, in the model's order."""

    def _validate_inputs_and_targets(self, X, y, *, reset):
        """X as one table, or one array per model input; y as one target, or one
        per model output (see ``_io``)."""
        multi_x = is_multi_input(X)
        multi_y = is_multi_output(y, rows_of(X, multi_x))
        if not (multi_x or multi_y):
            X, y = self._validate_training_data(X, y, reset=reset)
            return self._split_table(X), y
        X = self._validate_X(X, reset=reset)
        y = self._validate_targets(y, n_rows(X))
        return X, y

    def _validate_targets(self, y, n_rows):
        """One target, or a list or dict of targets (one per output), validated,
        each with ``n_rows`` rows."""
        if not is_multi_output(y, n_rows):
            y = self._validate_y(y)
            check_rows({"y": y}, "y", n_rows)
            return y
        items = y.items() if isinstance(y, dict) else enumerate(y)
        parts = {key: self._validate_y(part) for key, part in items}
        check_rows(parts, "y", n_rows)
        return parts if isinstance(y, dict) else list(parts.values())

    def _validate_X(self, X, *, reset, dtype="numeric"):
        """One table (split by ``input_features``) or one array per input."""
        if is_multi_input(X):
            if self.input_features is not None:
                raise ValueError(
                    "X is already split into the model's inputs; input_features "
                    "splits one table. Pass one table, or drop input_features."
                )
            X = check_inputs(X, dtype=dtype)
            if reset:
                for name in ("n_features_in_", "feature_names_in_", "input_shapes_"):
                    self.__dict__.pop(name, None)
            elif getattr(self, "input_shapes_", None) is None:
                raise ValueError(
                    f"X holds several inputs; {type(self).__name__} was fitted on "
                    "one table."
                )
            return X
        if reset:
            self.__dict__.pop("input_shapes_", None)
        elif self.input_features is None and hasattr(self, "input_shapes_"):
            raise ValueError(
                f"{type(self).__name__} was fitted on several inputs: pass X as a "
                "tuple, list or dict of arrays, one per model input."
            )
        X = validate_data(self, X, reset=reset, dtype=dtype, allow_nd=True)
        return self._split_table(X)

    def _split_table(self, X):
        if self.input_features is None:
            return X
        return split_columns(
            X, self.input_features, getattr(self, "feature_names_in_", None)
        )

    def _in_input_order(self, model, X):
        """Several inputs as a list in the model's order (a dict by input name)."""
        if not isinstance(X, (list, dict)):
            return X
        return by_position(X, input_names(model), "inputs", model.name)

    def _output_targets(self, y, n_outputs):
        """The targets of the model's outputs, main (``target_``) first; made once
        per fit from ``y`` (one array for every output, or one per output)."""
        targets = self.__dict__.get("_output_targets_cache")
        if targets is not None and len(targets) == n_outputs:
            return targets
        if is_multi_output(y):
            parts = list(y.values()) if isinstance(y, dict) else list(y)
            if len(parts) != n_outputs:
                raise ValueError(
                    f"y holds {len(parts)} targets; the model has {n_outputs} "
                    "outputs. Give one target per output, or one y for all."
                )
        else:
            parts = [y] * n_outputs
        targets = [self.target_] + [
            self._target_class()(np.asarray(part)) for part in parts[1:]
        ]
        self._output_targets_cache = targets
        return targets

    def _encode_targets(self, y):
        """y as the network trains on it: one array, or a list per output."""
        extra = getattr(self, "output_targets_", [])
        if not extra:
            return self.target_.encode(main_target(y))
        targets = [self.target_, *extra]
        if is_multi_output(y):
            parts = y
            if isinstance(y, dict):
                parts = by_position(
                    y, output_names(self.model_), "outputs", self.model_.name
                )
            return [t.encode(part) for t, part in zip(targets, parts)]
        return [t.encode(y) for t in targets]

    def _check_sample_shapes(self, X):
        """Refuse samples of another shape than the fit's (per input)."""
        shapes = getattr(self, "input_shapes_", None)
        if shapes is None:
            expected, got = [tuple(self.X_shape_[1:])], [X.shape[1:]]
        else:
            expected = [tuple(shape) for shape in shapes]
            got = [part.shape[1:] for part in X]
        if expected != got:
            raise ValueError(
                f"X has samples of shape {got if len(got) > 1 else got[0]}; "
                f"{type(self).__name__} was fitted on samples of shape "
                f"{expected if len(expected) > 1 else expected[0]}."
            )

    def _select_outputs(self, outputs, all_outputs):
        if isinstance(outputs, dict):
            names = output_names(self.model_) or list(outputs)
            outputs = [outputs[name] for name in names]
        if not isinstance(outputs, (list, tuple)):
            return [outputs] if all_outputs else outputs
        return list(outputs) if all_outputs else outputs[0]

    def _keras_y(self, y):
        """y as Keras's own wrappers hand it to a build function ``model(X, y)``:
        one-hot rows for class labels, a 2-D array otherwise."""
        y = np.asarray(main_target(y))
        target = self.target_
        if getattr(target, "target_type", None) in ("binary", "multiclass"):
            return np.eye(len(target.classes_))[target.class_indices(y)]
        return y.reshape(len(y), -1)

    def _all_targets(self):
        return [self.target_, *getattr(self, "output_targets_", [])]


def rows_of(X, multi_x):
    """The number of samples of a not yet validated X (None when unknown)."""
    try:
        return n_rows(X) if multi_x else _num_samples(X)
    except TypeError:
        return None


def main_target(y):
    return first_output(y) if is_multi_output(y) else y


def first_input(X):
    if isinstance(X, dict):
        return next(iter(X.values()))
    return X[0] if isinstance(X, list) else X
