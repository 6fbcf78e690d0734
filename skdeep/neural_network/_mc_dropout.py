"""Monte Carlo dropout (Gal & Ghahramani, 2016): predictions averaged over passes
with dropout active and batch normalisation in inference mode.

The book's ``MCDropout`` layer, without changing the fitted network: each dropout
layer is run by a fresh copy with its own seed (so the fitted model's random state
never moves and a ``random_state`` gives the same samples on every call), and the
rows of several passes go through the network together as one batch.
"""

import numpy as np

from skdeep.neural_network._graph import run, walk

_DROPOUT_KINDS = ("Dropout", "AlphaDropout", "GaussianDropout")
_ROWS_PER_CALL = 1 << 16
_MAX_SEED = 2**31 - 1


def has_dropout(model):
    return any(
        type(layer).__name__ in _DROPOUT_KINDS and float(getattr(layer, "rate", 0))
        for layer in model.layers
    )


def mc_samples_of(model, inputs, n_samples, seed):
    """The outputs of ``n_samples`` stochastic passes over ``inputs``.

    Returns one array of shape ``(n_samples, n_rows, n_units)`` per model output.
    ``seed`` (an int) fixes every dropout mask.
    """
    from keras import ops

    walked = walk(model)
    n_rows = inputs[0].shape[0]
    per_call = max(1, _ROWS_PER_CALL // max(n_rows, 1))
    chunks = []
    for first in range(0, n_samples, per_call):
        k = min(per_call, n_samples - first)
        functions = [
            _stochastic(step.layer, (seed + 7919 * first + i) % _MAX_SEED)
            for i, step in enumerate(walked[1])
        ]
        tiled = [np.tile(x, (k, 1)) for x in inputs]
        outputs = run(walked, functions, tiled)
        chunks.append(
            [
                np.asarray(ops.convert_to_numpy(out), dtype=np.float64).reshape(
                    k, n_rows, -1
                )
                for out in outputs
            ]
        )
    return [np.concatenate(parts, axis=0) for parts in zip(*chunks)]


def _stochastic(layer, seed):
    """``layer`` as a function of its input: a seeded copy in training mode for a
    dropout layer, the layer itself in inference mode otherwise."""
    if type(layer).__name__ in _DROPOUT_KINDS:
        copy = type(layer).from_config({**layer.get_config(), "seed": int(seed)})
        return lambda x: copy(x, training=True)
    return lambda x: layer(x, training=False)
