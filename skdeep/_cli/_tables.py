"""The user's CSV and Parquet tables in, CSV out; errors name the column."""

import csv
import sys
from pathlib import Path

from skdeep._cli._errors import CommandError

# A text column with more distinct values than this share of the rows (and at
# least _MAX_LEVELS_FLOOR of them) is an identifier or free text, not a category.
_MAX_LEVEL_SHARE = 0.5
_MAX_LEVELS_FLOOR = 20
# delimiters tried when --sep is not given, and how a user may write them
_DELIMITERS = ",;\t|"
_SEP_NAMES = {"\\t": "\t", "tab": "\t", "comma": ",", "semicolon": ";"}
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")


def _separator(path, sep):
    """``sep`` as given (``\\t`` and ``tab`` read as a tab), else sniffed from
    the first lines of ``path``, else a comma."""
    if sep is not None:
        return _SEP_NAMES.get(sep, sep)
    try:
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            sample = f.read(64 * 1024)
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except (csv.Error, OSError):
        return ","


def check_exists(path):
    """Refuse a data file that does not exist (before anything slow is imported)."""
    if not Path(path).is_file():
        raise CommandError(f"data file {path} does not exist")


def read_table(path, sep=None):
    """A pandas DataFrame from a ``.csv`` or ``.parquet`` file.

    ``sep`` is the CSV delimiter; None sniffs it (comma, semicolon, tab or bar).
    """
    import pandas as pd

    check_exists(path)
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".parquet", ".pq"):
            try:
                import pyarrow  # noqa: F401
            except ImportError:
                raise CommandError(
                    "reading Parquet needs pyarrow, which is not installed: "
                    'pip install "scikit-deep[parquet]", or save the data as CSV'
                ) from None
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep=_separator(path, sep))
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
        hint = ""
        if frame.shape[1] == 1:  # one merged column: the delimiter was wrong
            found = [d for d in _DELIMITERS if d in frame.columns[0]]
            if found:
                hint = f"; it looks {found[0]!r}-separated: give --sep {found[0]!r}"
        raise CommandError(
            f"{path} has no column {', '.join(repr(c) for c in missing)} "
            f"(its columns: {shown}{more}){hint}"
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


def check_like_training(frame, path, numeric):
    """Refuse missing values, and text in the ``numeric`` columns, at predict time.

    The message names the column, the first offending row and the fix; the model
    decided each column's kind when it was trained.
    """
    import pandas as pd

    for name in frame.columns:
        column = frame[name]
        missing = column.isna().to_numpy()
        if missing.any():
            raise CommandError(
                f"column {name!r} of {path} has {int(missing.sum())} missing "
                f"value(s) (the first in data row {int(missing.argmax()) + 1}): fill "
                "them first (skdeep does not impute)"
            )
        if name in numeric and not (
            pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)
        ):
            text = pd.to_numeric(column, errors="coerce").isna().to_numpy()
            row = int(text.argmax())
            raise CommandError(
                f"column {name!r} of {path} holds text ({column.iloc[row]!r} in data "
                f"row {row + 1}) where the model was trained on numbers: correct "
                "those values, or refit the model on a table where the column is text"
            )


def write_table(frame, output):
    """Write ``frame`` as CSV to ``output``, or to standard output when None."""
    if output is None:
        frame.to_csv(sys.stdout, index=False)
        return
    try:
        frame.to_csv(output, index=False)
    except OSError as exc:
        raise CommandError(f"cannot write {output}: {exc.strerror or exc}") from None
