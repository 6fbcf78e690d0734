"""Model files written by ``skdeep fit`` and the tour: joblib or skops, with a summary.

The format follows the file's extension (:data:`FORMATS`).

- ``.joblib`` / ``.pkl``: a joblib dump of a plain dict holding the versions, a
  training summary and the estimator as bytes (itself a joblib dump). Reading the
  dict unpickles no skdeep class, so a file from another skdeep version is
  recognised and reported before its estimator is rebuilt.
- ``.skops``: the archive of :func:`skdeep.save` (so :func:`skdeep.load` reads it)
  with one more member, :data:`SUMMARY_NAME`, holding the same dict as JSON minus
  the estimator.

Reading the versions and the summary never imports TensorFlow; rebuilding an
estimator imports it only when the estimator needs Keras to predict.
"""

import contextlib
import io
import json
import os
import platform
import tempfile
import warnings
import zipfile
from pathlib import Path

from skdeep._cli._errors import CommandError

FORMAT = "skdeep-model"
FORMAT_VERSION = 1
# extension -> format; anything else is refused before any work is done
FORMATS = {".joblib": "joblib", ".pkl": "joblib", ".skops": "skops"}
SUMMARY_NAME = "skdeep-command.json"
_TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".parquet", ".pq")
_SKOPS_HINT = 'pip install "scikit-deep[skops]"'
# estimators whose fitted state holds a Keras network: rebuilding one needs Keras
_NEURAL = ("MLPClassifier", "MLPRegressor", "WideDeepRegressor")


def _versions():
    import sklearn

    import skdeep

    return {
        "skdeep": skdeep.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def check_output(path):
    """Refuse an output ``path`` that cannot be written, before any work is done.

    Returns the format (``"joblib"`` or ``"skops"``) its extension asks for.
    """
    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CommandError(
            f"cannot write {path}: the model format follows the extension, "
            f"{', '.join(FORMATS)} (got {path.suffix or 'none'!r})"
        )
    folder = path.parent
    if not folder.is_dir():
        raise CommandError(f"cannot write {path}: folder {folder} does not exist")
    if path.is_dir():
        raise CommandError(f"cannot write {path}: it is a folder")
    writable = os.access(folder, os.W_OK)
    if not writable or (path.exists() and not os.access(path, os.W_OK)):
        raise CommandError(f"cannot write {path}: permission denied")
    if fmt == "skops":
        import importlib.util

        try:
            spec = importlib.util.find_spec("skops")
        except (ImportError, ValueError):  # blocked (None in sys.modules)
            spec = None
        if spec is None:
            raise CommandError(
                f"writing {path} needs skops, which is not installed: {_SKOPS_HINT}, "
                "or write a .joblib file"
            )
    return fmt


def save_model(model, path, summary):
    """Write ``model`` and its ``summary`` (a dict of plain values) to ``path``."""
    fmt = check_output(path)
    path = Path(path)
    envelope = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "summary": dict(summary),
    }
    try:
        if fmt == "skops":
            _save_skops(model, path, envelope)
        else:
            import joblib

            estimator = io.BytesIO()
            joblib.dump(model, estimator)
            joblib.dump({**envelope, "estimator": estimator.getvalue()}, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _save_skops(model, path, envelope):
    """:func:`skdeep.save`, then the summary as one more member; atomic."""
    import skdeep

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        try:
            skdeep.save(model, tmp)
        except TypeError as exc:  # a type skdeep.load would refuse
            raise CommandError(
                f"cannot write {path}: {' '.join(str(exc).split())}"
            ) from None
        with zipfile.ZipFile(tmp, "a", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(SUMMARY_NAME, json.dumps(envelope, indent=2))
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _damaged(path, what, exc):
    detail = " ".join(f"{type(exc).__name__}: {exc}".split())
    return CommandError(
        f"cannot read {path}: {what} is damaged or truncated ({detail}); write the "
        "model again with `skdeep fit`"
    )


def _read_skops_envelope(path):
    """The summary dict of a ``.skops`` model file; each member checked by name."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "schema.json" not in names or "skdeep.json" not in names:
                raise CommandError(
                    f"{path} is not a model file written by `skdeep fit` or skdeep.save"
                )
            members = {}
            for name in ("skdeep.json", "schema.json", SUMMARY_NAME):
                if name not in names:
                    continue
                try:
                    members[name] = json.loads(archive.read(name))
                except (ValueError, zipfile.BadZipFile, OSError, EOFError) as exc:
                    raise _damaged(path, f"its {name}", exc) from None
    except (zipfile.BadZipFile, EOFError) as exc:
        raise _damaged(path, "the archive", exc) from None
    meta = members["skdeep.json"]
    if not isinstance(meta, dict):
        raise _damaged(path, "its skdeep.json", TypeError("not an object"))
    envelope = members.get(SUMMARY_NAME)
    if envelope is None:  # written by skdeep.save: no training summary
        estimator = str(meta.get("estimator", "unknown")).rpartition(".")[2]
        envelope = {"versions": {}, "summary": {"estimator": estimator}}
    if not isinstance(envelope, dict) or envelope.get("format") not in (None, FORMAT):
        raise _damaged(path, f"its {SUMMARY_NAME}", TypeError("not a summary"))
    envelope.setdefault("versions", {}).setdefault(
        "skdeep", meta.get("skdeep_version", "unknown")
    )
    envelope["file_format"] = "skops"
    envelope["holds_network"] = "keras_version" in meta or (
        envelope.get("summary", {}).get("estimator") in _NEURAL
    )
    return envelope


def read_envelope(path):
    """The dict stored in a model file, checked for format and skdeep version.

    Never imports TensorFlow: ``skdeep info`` shows a file from this alone.
    """
    path = Path(path)
    if not path.is_file():
        raise CommandError(f"model file {path} does not exist")
    if path.suffix.lower() in _TABLE_SUFFIXES:
        raise CommandError(
            f"{path} is a data table, not a model file: the model file comes first "
            "(skdeep predict MODEL DATA)"
        )
    with open(path, "rb") as f:
        zipped = f.read(4) == b"PK\x03\x04"
    if zipped or path.suffix.lower() == ".skops":
        return _read_skops_envelope(path)
    return _read_joblib_envelope(path)


def _read_joblib_envelope(path):
    import joblib

    import skdeep

    try:
        envelope = joblib.load(path)
    except Exception as exc:  # unpickling raises anything; the file is the problem
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise CommandError(
            f"cannot read {path} as a model file ({detail}); write one with "
            "`skdeep fit`"
        ) from None
    if not (isinstance(envelope, dict) and envelope.get("format") == FORMAT):
        raise CommandError(
            f"{path} is not a model file written by `skdeep fit` or `skdeep tour`"
        )
    written_by = envelope.get("versions", {}).get("skdeep", "unknown")
    if envelope.get("format_version") != FORMAT_VERSION or (
        written_by != skdeep.__version__
    ):
        raise CommandError(
            f"{path} was written by skdeep {written_by}, this is skdeep "
            f"{skdeep.__version__}: refit the model with this version, or load it "
            f"with skdeep {written_by}"
        )
    blob = envelope["estimator"]
    envelope["file_format"] = "joblib"
    envelope["holds_network"] = b"skdeep.neural_network" in blob or b"keras" in blob
    return envelope


def load_model(path, envelope=None):
    """``(estimator, envelope)`` from a model file written by :func:`save_model`.

    TensorFlow is imported only when the estimator needs it to predict: a network
    the CPU runs in NumPy is built on first use of ``model_``
    (``skdeep.neural_network._stored_network``), any other one at load, with
    TensorFlow's start-up logging held back.
    """
    from skdeep._cli._quiet import tensorflow_quietly

    if envelope is None:
        envelope = read_envelope(path)
    # (a failure is reported below in one line, without TensorFlow's log)
    quiet = (
        tensorflow_quietly(replay=False)
        if envelope["holds_network"]
        else contextlib.nullcontext()
    )
    try:
        with quiet, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            if envelope["file_format"] == "skops":
                import skdeep

                model = skdeep.load(path)
            else:
                import joblib

                model = joblib.load(io.BytesIO(envelope["estimator"]))
    except Exception as exc:
        detail = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise CommandError(
            f"cannot rebuild the estimator stored in {path} ({detail})"
        ) from None
    envelope["warnings"] = [" ".join(str(w.message).split()) for w in caught]
    return model, envelope
