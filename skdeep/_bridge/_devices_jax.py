"""The ``device`` parameter on the JAX backend (see ``_devices``)."""

import dataclasses
import functools
import importlib.metadata
import os
import pkgutil
import warnings

import jax
import numpy as np

from skdeep._bridge.engine._arrays import n_samples, take
from skdeep._bridge.engine._loop import _split_validation as split_validation

PREALLOCATE_ENV = "XLA_PYTHON_CLIENT_PREALLOCATE"
# JAX's allocation settings, read once when its GPU client starts
ALLOCATION_ENVS = (
    PREALLOCATE_ENV,
    "XLA_PYTHON_CLIENT_MEM_FRACTION",
    "XLA_CLIENT_MEM_FRACTION",
    "XLA_PYTHON_CLIENT_ALLOCATOR",
)


def _devices(kind):
    try:
        return jax.devices(kind)
    except RuntimeError:  # no platform of that kind
        return []


def visible_devices():
    """``{"cpu": [...], "gpu": [...]}``, named as ``keras.device`` finds them."""
    return {kind: [f"{kind}:{d.id}" for d in _devices(kind)] for kind in ("cpu", "gpu")}


def _backends_started():
    from jax._src import xla_bridge

    started = getattr(xla_bridge, "backends_are_initialized", None)
    return True if started is None else started()


def gpu_plugin_installed():
    """Whether JAX would find a CUDA or ROCm plugin when it starts (without
    starting it)."""
    try:
        import jax_plugins

        names = [m.name for m in pkgutil.iter_modules(jax_plugins.__path__)]
    except ImportError:
        names = []
    names += [e.name for e in importlib.metadata.entry_points(group="jax_plugins")]
    return any(("cuda" in n or "rocm" in n) for n in names)


def allocation_plan(environ, started, has_gpu):
    """What to do about JAX's up-front GPU allocation: ``"set"`` the environment
    variable, ``"warn"`` that it is too late, or None."""
    if not has_gpu or any(name in environ for name in ALLOCATION_ENVS):
        return None  # nothing to share, or the user's choice
    return "warn" if started else "set"


def share_gpu_memory():
    """``XLA_PYTHON_CLIENT_PREALLOCATE=false`` before JAX starts its GPU client."""
    started = _backends_started()
    has_gpu = bool(_devices("gpu")) if started else gpu_plugin_installed()
    plan = allocation_plan(os.environ, started, has_gpu)
    if plan == "set":
        os.environ[PREALLOCATE_ENV] = "false"
    elif plan == "warn":
        warnings.warn(
            "JAX had started on the GPU before skdeep's first fit and preallocated "
            "most of its memory, so other processes cannot share it. Set "
            f"{PREALLOCATE_ENV}=false before starting Python (or "
            "SKDEEP_GPU_MEMORY=framework to silence this).",
            UserWarning,
            stacklevel=2,
        )


@functools.cache
def _distribution(names):
    import keras

    return keras.distribution.DataParallel(devices=list(names))


def data_parallel_scope(names):
    """``keras.distribution.DataParallel`` over ``names``: build and train in it."""
    return _distribution(tuple(names)).scope()


def _pad(data, n_devices):
    """``(x, y, sample_weight)`` with zero-weight copies of the first rows appended
    until the number of rows is a multiple of ``n_devices``."""
    x, y, sample_weight = tuple(data) + (None,) * (3 - len(data))
    missing = -n_samples(x) % n_devices
    if not missing:
        return x, y, sample_weight
    if sample_weight is None:
        sample_weight = np.ones(n_samples(x))
    head = slice(0, missing)

    def extend(part, extra):
        if isinstance(part, (list, tuple)):
            return type(part)(extend(p, e) for p, e in zip(part, extra))
        return np.concatenate([part, extra])

    return (
        extend(x, take(x, head)),
        extend(y, take(y, head)),
        np.concatenate([sample_weight, np.zeros(missing)]),
    )


def check_batch_splits(name, size, n_devices):
    """The error for a batch size (parameter ``name``) that ``n_devices`` cannot
    share equally, as JAX's data parallelism needs (None: no size, no error)."""
    if size is not None and size % n_devices:
        raise ValueError(
            f"{name}={size} does not split evenly over the {n_devices} devices: "
            f"on the JAX backend each batch is shared equally between them. Use "
            f"a multiple of {n_devices}."
        )


def even_batches(n_devices, spec, x, y, sample_weight, validation_data):
    """Data that ``keras.distribution.DataParallel`` can shard: JAX splits every
    batch evenly over the devices, so batch sizes must be multiples of the device
    count, and the sets are padded with at most ``n_devices - 1`` zero-weight rows.
    Returns ``(x, y, sample_weight, validation_data, spec)``."""
    for name in ("batch_size", "validation_batch_size"):
        check_batch_splits(name, getattr(spec, name), n_devices)
    if spec.validation_split and validation_data is None:
        (x, y, sample_weight), validation_data = split_validation(
            x, y, sample_weight, spec.validation_split
        )
        spec = dataclasses.replace(spec, validation_split=0.0)
    x, y, sample_weight = _pad((x, y, sample_weight), n_devices)
    if validation_data is not None:
        validation_data = _pad(validation_data, n_devices)
    return x, y, sample_weight, validation_data, spec
