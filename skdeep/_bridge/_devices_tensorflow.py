"""The ``device`` parameter on the TensorFlow backend (see ``_devices``)."""

import functools
import os
import warnings

import tensorflow as tf

GROWTH_ENV = "TF_FORCE_GPU_ALLOW_GROWTH"


def visible_devices():
    """``{"cpu": ["cpu:0", ...], "gpu": ["gpu:0", ...]}`` (logical devices)."""
    return {
        kind.lower(): [
            f"{kind.lower()}:{i}"
            for i in range(len(tf.config.list_logical_devices(kind)))
        ]
        for kind in ("CPU", "GPU")
    }


def share_gpu_memory():
    """Memory growth on every GPU the user has not configured, if TensorFlow has not
    started on them yet (it reserves the whole GPU memory when it starts)."""
    if os.environ.get(GROWTH_ENV):  # the user's choice; TensorFlow reads it itself
        return
    claimed = []
    for gpu in tf.config.list_physical_devices("GPU"):
        if tf.config.get_logical_device_configuration(gpu) is not None:
            continue  # split into logical devices with memory limits by the user
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # TensorFlow already runs on its GPUs
            if not tf.config.experimental.get_memory_growth(gpu):
                claimed.append(gpu.name)
    if claimed:
        warnings.warn(
            "TensorFlow had started on the GPU before skdeep could set its memory "
            f"growth, so this process holds the whole memory of {', '.join(claimed)} "
            f"and other processes cannot share it. Set {GROWTH_ENV}=true before "
            "starting Python (or SKDEEP_GPU_MEMORY=framework to silence this).",
            UserWarning,
            stacklevel=2,
        )


def _tf_name(name):
    kind, index = name.split(":")
    return f"/{kind.upper()}:{index}"


@functools.cache
def _strategy(names):
    # one strategy per device set: a model built under one strategy trains (warm
    # start, partial_fit) under the same object
    return tf.distribute.MirroredStrategy(devices=[_tf_name(n) for n in names])


def data_parallel_scope(names):
    """``tf.distribute.MirroredStrategy`` over ``names``: build and train in it."""
    return _strategy(tuple(names)).scope()
