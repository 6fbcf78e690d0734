"""The user's CSV and Parquet tables in, CSV out; errors name the column."""

import sys
from pathlib import Path

from skdeep._cli._errors import CommandError

# A text column with more distinct values than this share of the rows (and at
# least _MAX_LEVELS_FLOOR of them) is an identifier or free text, not a category.
_MAX_LEVEL_SHARE = 0.5
_MAX_LEVELS_FLOOR = 20


def read_table(path):
    """A pandas DataFrame from a ``.csv`` or ``.parquet`` file."""
    import pandas as pd

    path = Path(path)
    if not path.is_file():
        raise CommandError(f"data file {path} does not exist")
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise CommandError(
                    "reading Parquet needs pyarrow, which is not installed: "
                    "pip install 'scikit-deep[parquet]', or save the data as CSV"
                ) from None
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)
    except CommandError:
        raise
    except Exception as exc:  # OSError, UnicodeDecodeError, pandas' and pyarrow's
        message = " ".join(str(exc).split())
        raise CommandError(f"cannot read {path}: {message}") from None
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise CommandError(f"{path} holds no data (0 rows or 0 columns)")
    frame.columns = [str(c) for c in frame.columns]
    return frame


def split_columns(frame, path, columns):
    """Check that ``columns`` exist in ``frame``; name the missing ones."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        shown = ", ".join(repr(c) for c in frame.columns[:10])
        more = ", ..." if frame.shape[1] > 10 else ""
        raise CommandError(
            f"{path} has no column {', '.join(repr(c) for c in missing)} "
            f"(its columns: {shown}{more})"
        )


def feature_kinds(frame, path):
    """``(numeric, categorical)`` column names; errors for unusable columns.

    Numbers and booleans are numeric. Text and pandas categories are categorical
    (one-hot encoded by the model's pipeline) unless they look like identifiers or
    free text. Dates and missing values are refused with the column's name.
    """
    import pandas as pd

    numeric, categorical = [], []
    for name in frame.columns:
        column = frame[name]
        n_missing = int(column.isna().sum())
        if n_missing:
            raise CommandError(
                f"column {name!r} of {path} has {n_missing} missing value(s): fill or "
                "drop them first (skdeep does not impute)"
            )
        if pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column):
            numeric.append(name)
        elif pd.api.types.is_datetime64_any_dtype(column):
            raise CommandError(
                f"column {name!r} of {path} holds dates: turn it into numbers "
                f"(for example days since a start date) or leave it out with "
                f"--drop {name}"
            )
        else:
            n_levels = column.nunique()
            if n_levels > max(_MAX_LEVELS_FLOOR, _MAX_LEVEL_SHARE * len(column)):
                raise CommandError(
                    f"column {name!r} of {path} is text with {n_levels} distinct "
                    f"values in {len(column)} rows, an identifier or free text rather "
                    f"than a category: leave it out with --drop {name} or encode it "
                    "yourself"
                )
            categorical.append(name)
    return numeric, categorical


def write_table(frame, output):
    """Write ``frame`` as CSV to ``output``, or to standard output when None."""
    if output is None:
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        frame.to_csv(output, index=False)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
