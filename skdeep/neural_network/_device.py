"""Resolve the ``device`` parameter of the neural estimators to a TensorFlow device."""

import functools


@functools.cache
def _gpu_count():
    import tensorflow as tf

    return len(tf.config.list_physical_devices("GPU"))


def resolve_device(device):
    """Map ``"auto"``, ``"cpu"``, ``"gpu"`` or ``"gpu:N"`` to a TF device string.

    ``"auto"`` picks the first GPU when TensorFlow sees one, else the CPU. Asking for a
    GPU that is not there raises a ValueError that says what TensorFlow sees.
    """
    device = device.lower()
    if device == "cpu":
        return "/CPU:0"
    n_gpus = _gpu_count()
    if device == "auto":
        return "/GPU:0" if n_gpus else "/CPU:0"
    index = 0 if device == "gpu" else int(device.split(":", 1)[1])
    if index >= n_gpus:
        raise ValueError(
            f"device={device!r} was requested but TensorFlow sees {n_gpus} GPU(s). "
            "Use device='cpu' or device='auto', or check your CUDA installation."
        )
    return f"/GPU:{index}"


def is_gpu(tf_device):
    return tf_device.upper().startswith("/GPU")
