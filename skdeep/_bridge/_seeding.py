"""``random_state`` for code that draws from global random generators.

A user's build function and Keras layers created without a seed draw their initial
weights and dropout seeds from Python's ``random`` module and from Keras' global seed
generator. ``seeded`` makes those draws follow ``random_state`` and restores every
global generator afterwards, so the caller's random streams never move.

Keras draws the seeds of unseeded layers from Python's process-wide ``random`` module
(``keras.src.random.seed_generator``). Another thread drawing from it meanwhile (a Dask
worker's event loop, a second fit) would move those draws; so the seeded block gives
Keras a generator of its own thread, seeded alike, and every other thread still reads
the shared module (``_ThreadRandom``).
"""

import contextlib
import random
import threading

import numpy as np

from skdeep.utils._random import local_seed


@contextlib.contextmanager
def seeded(random_state):
    """Seed Python's, NumPy's and Keras' global generators (and PyTorch's on that
    backend) for the block, then restore them.

    ``random_state=None`` seeds from fresh OS entropy (different on every call); the
    globals are restored either way. Keras keeps its global seed state per thread and
    draws its layers' seeds from this thread's own generator (``_ThreadRandom``);
    Python's and NumPy's global generators, which a build function may use itself, are
    process-wide, so two such threads fitting at once may interleave those draws; so
    is PyTorch's, which Keras' fit shuffles with on that backend.
    """
    with reseeded(local_seed(random_state)) as seed:
        yield seed


@contextlib.contextmanager
def reseeded(seed):
    """``seeded`` for the int ``seed`` a ``seeded`` block yielded: the generators
    start where that block's started (a second network built and trained as the
    block's first was, ``TabularMLP*``'s ``refit``), and are restored after."""
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002 - restored below
    keras_seed = global_state.get_global_attribute(rng_utils.GLOBAL_RANDOM_SEED)
    keras_generator = global_state.get_global_attribute(
        seed_generator.GLOBAL_SEED_GENERATOR
    )
    torch = _torch_backend()
    torch_state = _torch_rng_state(torch)
    thread_random = _thread_random(seed_generator)
    outer = getattr(thread_random.local, "rng", None)
    try:
        thread_random.local.rng = random.Random(seed)
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002 - restored below
        if torch is not None:  # model.fit's shuffles draw from torch's generator
            torch.manual_seed(seed)
        global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
        yield seed
    finally:
        thread_random.local.rng = outer
        if torch is not None:
            torch.set_rng_state(torch_state[0])
            if torch_state[1] is not None:
                torch.cuda.set_rng_state_all(torch_state[1])
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, keras_seed)
        global_state.set_global_attribute(
            seed_generator.GLOBAL_SEED_GENERATOR, keras_generator
        )


def _torch_backend():
    """The ``torch`` module when Keras runs on PyTorch, else None."""
    import keras

    if keras.backend.backend() != "torch":
        return None
    import torch

    return torch


def _torch_rng_state(torch):
    """PyTorch's CPU generator state and its GPUs' (None without CUDA)."""
    if torch is None:
        return None
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
    return torch.get_rng_state(), cuda


class _ThreadRandom:
    """Python's ``random`` module for Keras' seed draws: the current thread's own
    generator inside a seeded block, the shared module everywhere else."""

    def __init__(self):
        self.local = threading.local()

    def __getattr__(self, name):
        return getattr(getattr(self.local, "rng", None) or random, name)


_install_lock = threading.Lock()


def _thread_random(seed_generator):
    """The ``_ThreadRandom`` Keras' seed generator draws from (put in place once;
    outside seeded blocks it behaves exactly as the ``random`` module)."""
    with _install_lock:
        current = seed_generator.python_random
        if not isinstance(current, _ThreadRandom):
            current = _ThreadRandom()
            seed_generator.python_random = current
        return current
