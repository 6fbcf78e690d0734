"""skdeep.save / skdeep.load: skops files that trust only skdeep's and sklearn's types.

The file is a skops archive (``skops.io.dumps``: a zip of a JSON schema and ``.npy``
arrays; loading never unpickles) with one more member, ``skdeep.json``, naming the
format and the versions that wrote it, read before anything is built. See
docs/persistence.md for when to use which format.
"""

import functools
import importlib
import importlib.metadata
import io
import json
import os
import sys
import tempfile
import warnings
import zipfile

FORMAT = 1
METADATA_NAME = "skdeep.json"
_SKOPS_HINT = (
    "skdeep.save and skdeep.load need the skops package: "
    'pip install "scikit-deep[skops]" (or pip install skops).'
)
# sklearn modules whose classes are never trusted automatically: tests and
# experimental switches (importing those changes sklearn's behaviour).
_SKIPPED_MODULE_PARTS = {"tests", "conftest", "experimental", "_testing"}
# skdeep packages whose estimators store a Keras network: files holding one record
# the Keras version, and load checks it
_KERAS_PACKAGES = ("skdeep.neural_network.", "skdeep.wrappers.")


def _skops_io():
    try:
        import skops.io
    except ImportError as exc:
        raise ImportError(_SKOPS_HINT) from exc
    return skops.io


def _skops_unsafe_reasons():
    try:
        from skops.io.exceptions import UNTRUSTED_TYPE_REASONS
    except ImportError:  # older skops: no list of known-unsafe sklearn types
        return {}
    return UNTRUSTED_TYPE_REASONS


def _is_skdeep_estimator(name):
    """Whether ``name`` ("module.Class") is one of skdeep's public estimators."""
    import skdeep

    module, _, cls_name = name.rpartition(".")
    if not module.startswith("skdeep.") or cls_name not in skdeep._LAZY:
        return False
    cls = getattr(skdeep, cls_name)
    return cls.__module__ == module


def _is_skdeep_building_block(name):
    """Whether ``name`` ("module.Class") is a class of skdeep that its estimators
    store: a scikit-learn estimator (a fitted preprocessing step) or a registered
    Keras object (a layer, optimizer or schedule, rebuilt by Keras' safe mode).
    Classes only, as for scikit-learn's."""
    module, _, cls_name = name.rpartition(".")
    if not module.startswith("skdeep."):
        return False
    try:
        obj = getattr(importlib.import_module(module), cls_name)
    except (ImportError, AttributeError):
        return False
    if not isinstance(obj, type) or obj.__module__ != module:
        return False
    from sklearn.base import BaseEstimator

    if issubclass(obj, BaseEstimator):
        return True
    keras = sys.modules.get("keras")  # imported by the module that defines it
    return (
        keras is not None
        and keras.saving.get_registered_object(keras.saving.get_registered_name(obj))
        is obj
        and keras.saving.get_registered_name(obj).startswith("skdeep")
    )


def _is_sklearn_class(name):
    """Whether ``name`` ("module.Class") is a class defined in scikit-learn.

    Classes only, never functions: a stored function is called later with
    arguments the file chooses (a scorer's ``score_func``), a class is only
    instantiated from stored attributes. skops' own list of unsafe sklearn types
    (tree node arrays indexed without bounds checks) stays untrusted.
    """
    module, _, cls_name = name.rpartition(".")
    parts = module.split(".")
    if parts[0] != "sklearn" or _SKIPPED_MODULE_PARTS & set(parts):
        return False
    if name in _skops_unsafe_reasons():
        return False
    try:
        obj = getattr(importlib.import_module(module), cls_name)
    except (ImportError, AttributeError):
        return False
    return isinstance(obj, type) and obj.__module__ == module


@functools.cache
def _sklearn_metric_functions():
    """The metric functions behind scikit-learn's named scorers (``scoring="f1"``).

    Pure functions of ``(y_true, y_pred)``: the only functions trusted, so that
    a search scored by name loads.
    """
    from sklearn.metrics import get_scorer, get_scorer_names

    names = set()
    for scorer_name in get_scorer_names():
        func = getattr(get_scorer(scorer_name), "_score_func", None)
        if func is not None and getattr(func, "__module__", "").startswith("sklearn."):
            names.add(f"{func.__module__}.{func.__name__}")
    return frozenset(names)


def _refused_types(untrusted, extra):
    extra = set(extra or ())
    return [
        name
        for name in untrusted
        if name not in extra
        and name not in _sklearn_metric_functions()
        and not _is_skdeep_estimator(name)
        and not _is_skdeep_building_block(name)
        and not _is_sklearn_class(name)
    ]


def _refusal_message(refused, *, saving):
    reasons = _skops_unsafe_reasons()
    listed = "\n".join(
        f"  {name}" + (f": {reasons[name]}" if name in reasons else "")
        for name in refused
    )
    if saving:
        return (
            "skdeep.save stores only objects that skdeep.load can rebuild trusting "
            "skdeep's public estimators and scikit-learn's and NumPy's own types; "
            f"this object also holds:\n{listed}\nReplace them (e.g. pass strings "
            "instead of functions); or, if whoever loads the file may import them, "
            "pass them as skdeep.save(..., trusted=[...]) and skdeep.load(..., "
            "trusted=[...]); or use joblib for files you never share."
        )
    return (
        "The file holds types that skdeep.load does not trust (nothing was built "
        f"or run):\n{listed}\nskdeep.load trusts only skdeep's public estimators "
        "and scikit-learn's and NumPy's own types. If you know where the file "
        "comes from and have reviewed these names, pass them as "
        "skdeep.load(path, trusted=[...])."
    )


def _holds_keras_network(untrusted):
    """Whether the saved types include an estimator whose state holds a network."""
    return any(name.startswith(_KERAS_PACKAGES) for name in untrusted)


def _metadata(estimator, untrusted):
    import sklearn

    import skdeep

    meta = {
        "format": FORMAT,
        "skdeep_version": skdeep.__version__,
        "sklearn_version": sklearn.__version__,
        "skops_version": sys.modules["skops"].__version__,
        "estimator": f"{type(estimator).__module__}.{type(estimator).__qualname__}",
    }
    keras_version = _keras_version()
    if keras_version is not None and _holds_keras_network(untrusted):
        meta["keras_version"] = keras_version
    return meta


def _keras_version():
    """This environment's Keras version, None without Keras. Read from the package
    metadata when Keras is not imported: a stored network is rebuilt only when
    first used (``skdeep.neural_network._stored_network``), so checking a file
    must not import Keras either."""
    keras = sys.modules.get("keras")
    if keras is not None:
        return keras.__version__
    try:
        return importlib.metadata.version("keras")
    except importlib.metadata.PackageNotFoundError:
        return None


def _atomic_write(path, data):
    """Write ``data`` to ``path`` through a temporary file and ``os.replace``.

    A crash or error mid-write leaves any previous file under ``path`` intact and
    no partial file under that name.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".tmp"
    )
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save(estimator, path, *, trusted=None):
    """Save ``estimator`` to ``path`` in a format that never runs code on load.

    The file is a `skops <https://skops.readthedocs.io>`_ archive: parameters and
    fitted arrays as JSON and ``.npy`` files, Keras networks as their weights (the
    architecture follows from the parameters). :func:`skdeep.load` reads it back
    trusting only skdeep's public estimators and scikit-learn's and NumPy's own
    types; pipelines and searches of those work too. The write is atomic: the file
    appears under ``path`` complete, or not at all.

    Parameters
    ----------
    estimator : estimator
        A skdeep or scikit-learn estimator, fitted or not (a Pipeline, a search...).
    path : str or path-like
        Where to write; by convention ending in ``.skops``. Overwritten if it
        exists.
    trusted : list of str, default=None
        More type names the estimator may hold, e.g. the build function of a
        Keras wrapper (``"mypackage.models.build_model"``). Whoever loads the
        file must pass the same names to :func:`skdeep.load`: loading imports
        their modules.

    Raises
    ------
    TypeError
        When the estimator holds an object that :func:`skdeep.load` would refuse
        (a function, a type from another library...) and that is not in
        ``trusted``: nothing is written.

    See Also
    --------
    skdeep.load : Read the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import skdeep
    >>> from skdeep.cluster import DBSCANPredictor
    >>> X = [[0.0, 0.0], [0.1, 0.0], [5.0, 5.0], [5.1, 5.0]]
    >>> model = DBSCANPredictor(eps=0.5, min_samples=2).fit(X)
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skops")
    >>> skdeep.save(model, path)
    >>> skdeep.load(path).predict([[0.05, 0.0]])
    array([0])
    """
    skops_io = _skops_io()
    if not isinstance(path, str | os.PathLike):
        raise TypeError(
            "path must be a file name (str or path-like), got "
            f"{type(path).__name__}; the write is atomic only for a named file."
        )
    data = skops_io.dumps(estimator, compression=zipfile.ZIP_DEFLATED)
    if isinstance(trusted, str):
        raise TypeError("trusted must be a list of type names, not a string.")
    untrusted = skops_io.get_untrusted_types(data=data)
    refused = _refused_types(untrusted, trusted)
    if refused:
        raise TypeError(_refusal_message(refused, saving=True))
    meta = _metadata(estimator, untrusted)
    buffer = io.BytesIO(data)
    with zipfile.ZipFile(buffer, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(METADATA_NAME, json.dumps(meta, indent=2))
    _atomic_write(path, buffer.getvalue())


def _read_metadata(data, path):
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ValueError(
            f"{os.fspath(path)!r} is not a file written by skdeep.save (not a zip "
            "archive). A joblib or pickle file can run code when loaded: open one "
            "with joblib.load only if you trust its source."
        )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = set(archive.namelist())
        if METADATA_NAME not in names or "schema.json" not in names:
            raise ValueError(
                f"{os.fspath(path)!r} is not a file written by skdeep.save (no "
                f"{METADATA_NAME}). A plain skops file loads with skops.io.load and "
                "a trusted list you have reviewed."
            )
        try:
            meta = json.loads(archive.read(METADATA_NAME))
            fmt = int(meta["format"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(
                f"{os.fspath(path)!r}: its {METADATA_NAME} is damaged ({exc})."
            ) from exc
    return meta, fmt


def _check_versions(meta, fmt, path):
    import skdeep
    from skdeep.utils._keras_state import _version_tuple

    written_by = meta.get("skdeep_version", "unknown")
    if fmt > FORMAT:
        raise ValueError(
            f"{os.fspath(path)!r} was written by a newer skdeep ({written_by}, file "
            f"format {fmt}); this skdeep {skdeep.__version__} reads format {FORMAT} "
            "at most. Upgrade skdeep: pip install -U scikit-deep."
        )
    keras_version = meta.get("keras_version")
    if keras_version is not None:
        installed = _keras_version()
        if installed is not None and (
            _version_tuple(keras_version)[0] != _version_tuple(installed)[0]
        ):
            raise ValueError(
                f"{os.fspath(path)!r} was written with Keras {keras_version}; this "
                f"environment has Keras {installed}, an incompatible major "
                f"version. Install keras=={keras_version.split('.')[0]}.* to load it."
            )
    if written_by != skdeep.__version__:
        warnings.warn(
            f"{os.fspath(path)!r} was written by skdeep {written_by} and is loaded "
            f"by skdeep {skdeep.__version__}; check its predictions before relying "
            "on them.",
            UserWarning,
            stacklevel=3,
        )


def load(path, *, trusted=None):
    """Load an estimator written by :func:`skdeep.save`, without running its code.

    Before building anything, the file's types are checked: only skdeep's public
    estimators, scikit-learn's own classes, NumPy's types and Python's plain data
    types are accepted; anything else (a function, another library's class) raises
    a TypeError that lists it. Keras networks are rebuilt from their parameters
    and stored weights.

    Parameters
    ----------
    path : str or path-like
        A file written by :func:`skdeep.save`.
    trusted : list of str, default=None
        More type names (as listed in the error) you have reviewed and trust,
        e.g. ``["sklearn.metrics._classification.f1_score"]`` for a search scored
        with ``scoring="f1"``.

    Returns
    -------
    estimator : estimator
        The saved estimator; a fitted one predicts exactly as before saving.

    Raises
    ------
    TypeError
        The file holds a type that is not trusted (nothing is built).
    ValueError
        The file is not a skdeep file, or was written by a newer skdeep format
        or an incompatible Keras.

    See Also
    --------
    skdeep.save : Write such a file.
    """
    skops_io = _skops_io()
    with open(path, "rb") as f:
        data = f.read()
    meta, fmt = _read_metadata(data, path)
    _check_versions(meta, fmt, path)
    if isinstance(trusted, str):
        raise TypeError("trusted must be a list of type names, not a string.")
    untrusted = skops_io.get_untrusted_types(data=data)
    refused = _refused_types(untrusted, trusted)
    if refused:
        raise TypeError(_refusal_message(refused, saving=False))
    return skops_io.loads(data, trusted=untrusted)
