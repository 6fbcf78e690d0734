"""Column selections (positions, slices, masks or names) as column positions.

One definition for every parameter that picks columns of X: WideDeepRegressor's
``wide_features`` / ``deep_features`` and the wrappers' ``input_features``.
"""

from numbers import Integral

import numpy as np


def _name_positions(names, feature_names, param):
    if feature_names is None:
        raise ValueError(
            f"{param} selects columns by name, which needs X to be a pandas "
            "DataFrame with string column names at fit; got X without feature names. "
            "Select columns by integer position or boolean mask instead."
        )
    position = {name: i for i, name in enumerate(feature_names)}
    unknown = [name for name in names if name not in position]
    if unknown:
        raise ValueError(
            f"{param} names columns that are not in the data: {unknown}. Known "
            f"columns (feature_names_in_): {list(feature_names)}."
        )
    return np.array([position[name] for name in names], dtype=np.intp)


def column_positions(selection, n_features, feature_names=None, *, param="features"):
    """Integer positions of the columns ``selection`` picks among ``n_features``.

    ``selection`` is None (every column), a slice (of positions, or of names with an
    inclusive stop as in ``DataFrame.loc``), a boolean mask of length
    ``n_features``, or a list of integer positions (negative ones count from the
    end) or of column names (looked up in ``feature_names``). Raises a ValueError
    naming ``param`` when the selection is invalid or empty.
    """
    positions = np.arange(n_features)
    if selection is None:
        return positions
    if isinstance(selection, slice):
        start, stop = selection.start, selection.stop
        if isinstance(start, str) or isinstance(stop, str):
            start = (
                None
                if start is None
                else _name_positions([start], feature_names, param)[0]
            )
            stop = (
                None
                if stop is None
                else _name_positions([stop], feature_names, param)[0] + 1
            )
            selection = slice(start, stop, selection.step)
        try:
            idx = positions[selection]
        except TypeError as exc:
            raise ValueError(
                f"{param} must be a slice of integer positions or of column names, "
                f"got {selection!r}."
            ) from exc
    else:
        values = np.asarray(selection, dtype=object)
        if values.ndim != 1:
            raise ValueError(
                f"{param} must be one-dimensional, got an array of shape "
                f"{values.shape}."
            )
        items = values.tolist()
        if not items:
            idx = positions[:0]
        elif all(isinstance(v, bool | np.bool_) for v in items):
            if len(items) != n_features:
                raise ValueError(
                    f"{param} is a boolean mask of length {len(items)}, but X has "
                    f"{n_features} features."
                )
            idx = np.flatnonzero(np.asarray(items, dtype=bool))
        elif all(
            isinstance(v, Integral | np.integer) and not isinstance(v, bool | np.bool_)
            for v in items
        ):
            idx = np.asarray(items, dtype=np.intp)
            bad = idx[(idx < -n_features) | (idx >= n_features)]
            if bad.size:
                raise ValueError(
                    f"{param} has column indices out of range for X with "
                    f"{n_features} features: {bad.tolist()}."
                )
            idx = idx % n_features
        elif all(isinstance(v, str) for v in items):
            idx = _name_positions(items, feature_names, param)
        else:
            raise ValueError(
                f"{param} must be None, a slice, a boolean mask, or a list of integer "
                f"positions or of column names (not a mix), got {selection!r}."
            )
    if idx.size == 0:
        raise ValueError(
            f"{param} selects no column: each path or input of the network needs at "
            "least one feature."
        )
    if np.unique(idx).size != idx.size:
        raise ValueError(f"{param} selects some columns more than once: {selection!r}.")
    return idx
