"""``random_state`` for code that draws from global random generators.

A user's build function and Keras layers created without a seed draw their initial
weights and dropout seeds from Python's ``random`` module and from Keras' global seed
generator. ``seeded`` makes those draws follow ``random_state`` and restores every
global generator afterwards, so the caller's random streams never move.
"""

import contextlib
import random

import numpy as np

from skdeep.utils._random import local_seed


@contextlib.contextmanager
def seeded(random_state):
    """Seed Python's, NumPy's and Keras' global generators for the block, then restore.

    ``random_state=None`` seeds from fresh OS entropy (different on every call); the
    globals are restored either way. Keras keeps its global seed state per thread;
    Python's and NumPy's global generators are process-wide, so two threads fitting
    at once may interleave draws (their results stay valid, only not reproducible).
    """
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    seed = local_seed(random_state)
    python_state = random.getstate()
    numpy_state = np.random.get_state()  # noqa: NPY002 - restored below
    keras_seed = global_state.get_global_attribute(rng_utils.GLOBAL_RANDOM_SEED)
    keras_generator = global_state.get_global_attribute(
        seed_generator.GLOBAL_SEED_GENERATOR
    )
    try:
        random.seed(seed)
        np.random.seed(seed)  # noqa: NPY002 - restored below
        global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
        global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
        yield seed
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
        global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, keras_seed)
        global_state.set_global_attribute(
            seed_generator.GLOBAL_SEED_GENERATOR, keras_generator
        )
