"""The built-in networks' ``device``, resolved by ``skdeep._bridge._devices``."""


def resolve_device(device):
    """Map ``"auto"``, ``"cpu"``, ``"gpu"`` or ``"gpu:N"`` to a device name
    (``"gpu:0"``, ``"cpu:0"``) for ``keras.device`` / ``tf.device``.

    ``"auto"`` picks the first GPU the backend sees (in a worker process of a
    parallel search, the worker's own GPU, round-robin), else the CPU. Asking for a
    device that is not there raises a ValueError that lists the devices there are.
    """
    from skdeep._bridge._devices import resolve

    return resolve(device).names[0]


def is_gpu(device):
    return device.lower().lstrip("/").startswith("gpu")
