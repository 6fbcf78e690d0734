"""The ``device`` parameter: where an estimator trains and predicts.

One resolution for every Keras-backed estimator (the wrappers and the built-in
networks), on the TensorFlow, JAX and PyTorch backends:

- ``"auto"``: the first GPU the backend sees, else the CPU; in a worker process of a
  parallel search (joblib's loky workers, multiprocessing pools) the worker's own GPU,
  round-robin, so workers do not all land on GPU 0;
- ``"gpu"``: as ``"auto"``, but a GPU must be there;
- ``"gpu:N"`` / ``"cpu"`` / ``"cpu:N"``: that device;
- a list of devices (``["gpu:0", "gpu:1"]``): data-parallel training over them
  through the backend's own mechanism (TensorFlow and JAX; PyTorch refuses it).

Resolving a device first applies the GPU memory setting (``SKDEEP_GPU_MEMORY``, see
``share_gpu_memory``), which is process-wide: to the Keras backend, and to TensorFlow
whenever it is imported in the process. Backend code lives in
``_devices_tensorflow``, ``_devices_jax`` and ``_devices_torch``.
"""

import contextlib
import importlib
import multiprocessing
import os
import re
import sys
import warnings
from dataclasses import dataclass

_SINGLE = re.compile(r"^(auto|cpu|gpu)(?::(\d+))?$")
_BACKENDS = {
    "tensorflow": "_devices_tensorflow",
    "jax": "_devices_jax",
    "torch": "_devices_torch",
}
_DISPLAY = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
MEMORY_ENV = "SKDEEP_GPU_MEMORY"
MEMORY_MODES = ("grow", "framework")
_EXPECTED = (
    "device must be 'auto', 'cpu', 'gpu', 'gpu:N', 'cpu:N' or a list of devices "
    "of one kind (e.g. ['gpu:0', 'gpu:1'])"
)


def _backend():
    import keras

    return keras.backend.backend()


def _backend_module(backend):
    return importlib.import_module(f"skdeep._bridge.{_BACKENDS[backend]}")


def parse_device(device):
    """``device`` as a tuple of ``(kind, index)`` requests; index None means "pick".

    A single string gives one request (``("auto", None)``, ``("gpu", None)``,
    ``("gpu", 1)``, ``("cpu", 0)`` ...); a list gives one explicit ``(kind, index)``
    per device. Raises a ValueError that says what is accepted.
    """
    if isinstance(device, str):
        match = _SINGLE.match(device.strip().lower())
        if match is None or (match.group(1) == "auto" and match.group(2)):
            raise ValueError(f"{_EXPECTED}; got {device!r}.")
        kind, index = match.group(1), match.group(2)
        if kind == "cpu" and index is None:
            index = 0
        return ((kind, None if index is None else int(index)),)
    if isinstance(device, (list, tuple)) and device:
        requests = []
        for item in device:
            parsed = parse_device(item) if isinstance(item, str) else None
            if parsed is None or parsed[0][0] == "auto" or parsed[0][1] is None:
                raise ValueError(
                    f"{_EXPECTED}; a list names each device with its index "
                    f"('gpu:0'), got {item!r} in {list(device)!r}."
                )
            requests.append(parsed[0])
        if len({kind for kind, _ in requests}) > 1:
            raise ValueError(
                f"A list of devices must be all GPUs or all CPUs; got {list(device)!r}."
            )
        if len(set(requests)) != len(requests):
            raise ValueError(f"A device is listed twice in {list(device)!r}.")
        return tuple(requests)
    raise ValueError(f"{_EXPECTED}; got {device!r}.")


def worker_index():
    """0 in the main process; ``k - 1`` in the k-th worker process of a pool.

    joblib's loky workers and multiprocessing's pool workers carry their creation
    number in their identity (``LokyProcess-3``). Workers replaced after a crash get
    new numbers, so the assignment is round-robin at best effort, not a guarantee.
    """
    identity = getattr(multiprocessing.current_process(), "_identity", ())
    return identity[-1] - 1 if identity else 0


def visible_devices(backend=None):
    """``{"cpu": [...], "gpu": [...]}``: the device names the backend can use."""
    backend = backend or _backend()
    if backend not in _BACKENDS:
        return {"cpu": ["cpu:0"], "gpu": []}
    return _backend_module(backend).visible_devices()


def _describe(devices):
    names = devices["cpu"] + devices["gpu"]
    return ", ".join(names) if names else "none"


def choose_devices(requests, devices, worker, backend):
    """The device names ``requests`` (from ``parse_device``) resolve to."""
    gpus = devices["gpu"]
    backend = _DISPLAY.get(backend, backend)
    chosen = []
    for kind, index in requests:
        if kind == "auto" and not gpus:
            chosen.append(devices["cpu"][0] if devices["cpu"] else "cpu:0")
        elif kind in ("auto", "gpu") and index is None:
            if not gpus:
                raise ValueError(
                    f"device='gpu' was requested but the {backend} backend sees no "
                    f"GPU (devices: {_describe(devices)}). Use device='auto' or "
                    "'cpu', or check the CUDA installation of the backend."
                )
            chosen.append(gpus[worker % len(gpus)])
        else:
            name = f"{kind}:{index}"
            if name not in devices[kind]:
                raise ValueError(
                    f"device {name!r} does not exist: the {backend} backend sees "
                    f"{_describe(devices)}. Use one of them, or device='auto'."
                )
            chosen.append(name)
    return tuple(chosen)


@dataclass(frozen=True)
class Placement:
    """Resolved devices: one (train and predict there) or several (data-parallel)."""

    names: tuple
    backend: str
    only_device: bool = False  # the backend sees no other device: no scope needed

    @property
    def name(self):
        """What ``device_`` records: a name, or a list of names."""
        return self.names[0] if len(self.names) == 1 else list(self.names)

    @property
    def is_gpu(self):
        return self.names[0].startswith("gpu")

    @property
    def parallel(self):
        return len(self.names) > 1

    def training(self):
        """Context for building and training the model."""
        if self.parallel:
            return _backend_module(self.backend).data_parallel_scope(self.names)
        return self.predicting()

    def predicting(self):
        """Context for prediction (the first device of a list)."""
        if self.only_device or self.backend not in _BACKENDS:
            return contextlib.nullcontext()
        import keras

        return keras.device(self.names[0])


def resolve(device, backend=None):
    """The ``Placement`` for the ``device`` parameter, or a ValueError that lists
    the devices there are."""
    backend = backend or _backend()
    requests = parse_device(device)
    if backend not in _BACKENDS:
        if requests not in ((("auto", None),), (("cpu", 0),)):
            raise ValueError(
                f"device={device!r} needs the TensorFlow, JAX or PyTorch backend; "
                f"the Keras backend is {backend!r}. Use device='auto' or 'cpu'."
            )
        share_gpu_memory(backend)  # TensorFlow's, when it is in the process
        return Placement(("cpu:0",), backend)
    share_gpu_memory(backend)
    devices = visible_devices(backend)
    names = choose_devices(requests, devices, worker_index(), backend)
    # one CPU and no GPU (most CI machines and laptops): a device scope would only
    # cost time on every predict
    only = devices["cpu"] == ["cpu:0"] and not devices["gpu"]
    return Placement(names, backend, only_device=only)


def fitted_placement(device, backend=None):
    """The ``Placement`` for a fitted ``device_`` in this process: the same devices
    when they exist here (a model loaded on another machine may not find them),
    else ``"auto"`` with a warning."""
    try:
        return resolve(device, backend)
    except ValueError:
        placement = resolve("auto", backend)
        warnings.warn(
            f"The estimator was fitted on {device!r}, which this process does not "
            f"have; it predicts on {placement.name!r}.",
            UserWarning,
            stacklevel=4,
        )
        return placement


# ------------------------------------------------------------------ GPU memory

_MEMORY_APPLIED = set()


def memory_mode(environ=None):
    """The ``SKDEEP_GPU_MEMORY`` setting: ``"grow"`` (default) or ``"framework"``."""
    environ = os.environ if environ is None else environ
    mode = environ.get(MEMORY_ENV, "grow").strip().lower() or "grow"
    if mode not in MEMORY_MODES:
        raise ValueError(
            f"{MEMORY_ENV}={environ[MEMORY_ENV]!r} is not a GPU memory setting; use "
            "'grow' (the default: GPU memory is taken as needed, so processes can "
            "share a GPU) or 'framework' (leave TensorFlow's and JAX's defaults)."
        )
    return mode


def _memory_frameworks(backend):
    """The frameworks whose GPU memory the setting is for: the Keras backend's, and
    TensorFlow whenever it is already imported (a ``tf.data`` pipeline, the user's
    own code), which would otherwise reserve the whole GPU beside a JAX or PyTorch
    backend. TensorFlow is never imported for this."""
    frameworks = [backend] if backend in _BACKENDS else []
    if backend != "tensorflow" and "tensorflow" in sys.modules:
        frameworks.append("tensorflow")
    return frameworks


def share_gpu_memory(backend):
    """Once per process and framework: let the Keras backend, and TensorFlow when it
    is imported in the process, take GPU memory as they need it instead of all of it
    up front, unless ``SKDEEP_GPU_MEMORY=framework``.

    Process-wide (documented in docs/gpus.md): TensorFlow's GPUs get memory growth;
    JAX gets ``XLA_PYTHON_CLIENT_PREALLOCATE=false`` in ``os.environ``. Either only
    when the user has not configured it and the framework has not yet started on
    the GPU; otherwise nothing changes, and a warning says so when the GPU was
    already claimed whole. A TensorFlow imported after the first fit is set up at
    the next device resolution (fit, or predict after loading).
    """
    pending = [f for f in _memory_frameworks(backend) if f not in _MEMORY_APPLIED]
    if not pending:
        return
    if memory_mode() == "grow":
        for framework in pending:
            _backend_module(framework).share_gpu_memory()
    _MEMORY_APPLIED.update(pending)


def even_batches(placement, spec, x, y, sample_weight, validation_data):
    """The training data and spec as the placement's data-parallel mechanism needs
    them: unchanged except on JAX over several devices (see
    ``_devices_jax.even_batches``)."""
    if placement.parallel and placement.backend == "jax":
        return _backend_module("jax").even_batches(
            len(placement.names), spec, x, y, sample_weight, validation_data
        )
    return x, y, sample_weight, validation_data, spec
