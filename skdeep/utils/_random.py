"""Random-state handling that never touches NumPy's or Python's global generators."""

import numpy as np
from sklearn.utils import check_random_state

_MAX_SEED = np.iinfo(np.int32).max


def local_random_state(random_state):
    """A ``RandomState`` for ``random_state`` that leaves global state alone.

    As ``sklearn.utils.check_random_state``, except for ``None``: scikit-learn then
    returns NumPy's global RandomState, which fitting would advance, changing the
    caller's random stream. Here ``None`` draws fresh entropy from the OS instead.
    """
    if random_state is None:
        return np.random.RandomState(np.random.SeedSequence().generate_state(1))
    return check_random_state(random_state)


def local_seed(random_state):
    """An int seed drawn from ``local_random_state(random_state)``."""
    return int(local_random_state(random_state).randint(_MAX_SEED))


def without_global(random_state):
    """``random_state`` to hand to a scikit-learn sub-estimator, with None made local.

    Ints and RandomState instances pass through unchanged (so results match the
    sub-estimator used alone with the same ``random_state``); None becomes a fresh
    int seed, so the sub-estimator does not draw from NumPy's global RandomState.
    """
    return local_seed(None) if random_state is None else random_state


def canonical_order(X):
    """Row indices that sort ``X`` lexicographically (first column first).

    Fitting on the rows in this order makes a fit whose initialisation or internal
    folds follow the row order (k-means seeding, a calibration's CV splits) give
    the same result whatever order the caller's rows come in. Sparse ``X`` keeps
    its order.
    """
    if not isinstance(X, np.ndarray) or X.ndim != 2:
        return np.arange(X.shape[0])
    return np.lexsort(X.T[::-1])
