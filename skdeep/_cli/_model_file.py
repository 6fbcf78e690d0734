"""Model files written by ``skdeep fit`` and the tour: joblib, tagged with versions.

The file is a joblib dump of a plain dict holding the versions, a training summary
and the estimator as bytes (itself a joblib dump). Reading the dict unpickles no
skdeep class, so a file from another skdeep version is recognised and reported
before its estimator is rebuilt.
"""

import io
import platform
from pathlib import Path

from skdeep._cli._errors import CommandError

FORMAT = "skdeep-model"
FORMAT_VERSION = 1


def _versions():
    import sklearn

    import skdeep

    return {
        "skdeep": skdeep.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
    }


def save_model(model, path, summary):
    """Write ``model`` and its ``summary`` (a dict of plain values) to ``path``."""
    import joblib

    estimator = io.BytesIO()
    joblib.dump(model, estimator)
    envelope = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "versions": _versions(),
        "summary": dict(summary),
        "estimator": estimator.getvalue(),
    }
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise CommandError(f"cannot write {path}: folder {path.parent} does not exist")
    try:
        joblib.dump(envelope, path)
    except OSError as exc:
        raise CommandError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def read_envelope(path):
    """The dict stored in a model file, checked for format and skdeep version."""
    import joblib

    import skdeep

    path = Path(path)
    if not path.is_file():
        raise CommandError(f"model file {path} does not exist")
    try:
        envelope = joblib.load(path)
    except Exception as exc:  # unpickling raises anything; the file is the problem
        raise CommandError(
            f"cannot read {path} as a model file ({type(exc).__name__}: {exc}); "
            "write one with `skdeep fit`"
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
    return envelope


def load_model(path):
    """``(estimator, envelope)`` from a model file written by :func:`save_model`."""
    import joblib

    from skdeep._cli._quiet import load_tensorflow_quietly

    envelope = read_envelope(path)
    blob = envelope["estimator"]
    if b"skdeep.neural_network" in blob or b"keras" in blob:
        load_tensorflow_quietly()
    try:
        model = joblib.load(io.BytesIO(blob))
    except Exception as exc:
        raise CommandError(
            f"cannot rebuild the estimator stored in {path} "
            f"({type(exc).__name__}: {exc})"
        ) from None
    return model, envelope
