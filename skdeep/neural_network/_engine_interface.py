"""What crosses the seam between the built-in networks and their training engines.

The estimators (``_fitting``) describe a fit once, as a
``skdeep._bridge.engine.TrainingSpec`` (the one training specification, which the
wrappers' fits use too); every engine (``_numpy_training.NumpyEngine``,
``_training.CompiledEngine``, ``_keras_engine.KerasEngine``,
``_streaming.StreamEngine``) takes it with the same interface (``Engine``) and
returns an ``EpochResult`` for each epoch. The engines import this module and never
``_engine``, which chooses between them.
"""

from typing import NamedTuple, Protocol

import numpy as np

# skdeep's solvers and the Keras optimizer class each reproduces; every engine's
# implementation of a solver is a class of that name (``_numpy_optimizers``,
# ``_optimizers``, ``keras.optimizers`` for the Keras engine)
SOLVERS = {
    "sgd": "SGD",
    "adam": "Adam",
    "nadam": "Nadam",
    "adamax": "Adamax",
    "adamw": "AdamW",
    "rmsprop": "RMSprop",
    "adagrad": "Adagrad",
}


class EpochResult(NamedTuple):
    """What one epoch gives: the new state, the training loss (and its parts per
    output), the validation score and loss (NaN without validation data; the loss
    without the L2 penalty)."""

    state: object
    loss: float
    parts: np.ndarray
    score: float
    val_loss: float = float("nan")


class Engine(Protocol):
    """``Engine(model, spec, data, validation)``; ``data`` and ``validation`` are
    ``(inputs, Y, sample_weight)`` with ``inputs`` a tuple of arrays (one per model
    input); ``validation`` is three Nones without early stopping.

    The model is the template: its weights are read by ``initial_state`` and written
    by ``write_back``, which returns the optimizer state to resume from.
    """

    def initial_state(self, previous=None): ...

    def run_epoch(self, state, seed, learning_rate, momentum=None) -> EpochResult:
        """One epoch. ``learning_rate`` is one rate or one per minibatch step
        (``_schedules``); ``momentum`` (SGD only) None or one per step."""

    def write_back(self, state): ...
