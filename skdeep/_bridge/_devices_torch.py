"""The ``device`` parameter on the PyTorch backend (see ``_devices``).

PyTorch's caching allocator takes GPU memory as it needs it, so several processes
share a GPU without any setting. Keras has no data-parallel mechanism for PyTorch
(``keras.distribution`` is JAX's), so a list of devices is refused here.
"""

import torch


def visible_devices():
    """``{"cpu": ["cpu:0"], "gpu": ["gpu:0", ...]}`` (Keras' names for PyTorch's
    ``cuda`` devices)."""
    n_gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return {"cpu": ["cpu:0"], "gpu": [f"gpu:{i}" for i in range(n_gpus)]}


def share_gpu_memory():
    """Nothing to do: PyTorch allocates GPU memory on demand."""


def data_parallel_scope(names):
    raise ValueError(
        f"device={list(names)!r}: data-parallel training over several devices runs "
        "on the TensorFlow backend (MirroredStrategy) and on JAX (keras.distribution); "
        "the PyTorch backend trains on one device. Pass one device."
    )
