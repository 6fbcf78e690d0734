"""Schedules of the tabular recipe (issue 25), as Keras objects: a learning-rate
schedule, an AdamW whose decoupled weight decay follows its own schedule, and the
callback that schedules dropout. The schedule and the optimizer are registered under
``skdeep`` (a network saved with them loads in plain Keras).

The recipe's schedules (RealMLP, Holzmüller et al. 2024), for training progress
``t`` in [0, 1]:

- ``coslog``: ``(1 - cos(2π log2(1 + (2^n - 1) t))) / 2`` -- ``n`` cosine cycles
  that grow longer as training goes on (``n = 4``: "coslog4"); ``cosine``:
  ``(1 + cos(π t)) / 2``; ``constant``: 1;
- ``flat_cos`` (dropout, weight decay): 1 for the first half, then a half cosine
  down to 0.
"""

import math

import keras
from keras import ops

_PACKAGE = "skdeep"
LR_SCHEDULES = ("coslog4", "cosine", "constant")


def schedule_factor(name, t):
    """The factor of schedule ``name`` at progress ``t`` (a float or a tensor in
    [0, 1])."""
    if name == "coslog4":
        return 0.5 - 0.5 * ops.cos(2 * math.pi * ops.log2(1.0 + 15.0 * t))
    if name == "cosine":
        return 0.5 + 0.5 * ops.cos(math.pi * t)
    if name == "flat_cos":
        late = ops.maximum(t - 0.5, 0.0) * 2.0
        return 0.5 + 0.5 * ops.cos(math.pi * late)
    if name == "constant":
        return ops.ones_like(t)
    raise ValueError(f"unknown schedule {name!r}")


def _progress(step, total_steps):
    """``step / total_steps`` capped at 1 (either may be a tensor)."""
    total = ops.maximum(ops.cast(total_steps, "float32"), 1.0)
    return ops.minimum(ops.cast(step, "float32") / total, 1.0)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ProgressSchedule(keras.optimizers.schedules.LearningRateSchedule):
    """``initial_learning_rate`` times schedule ``name``'s factor at step
    ``step / total_steps``."""

    def __init__(self, initial_learning_rate, total_steps, name="coslog4"):
        self.initial_learning_rate = float(initial_learning_rate)
        self.total_steps = int(total_steps)
        self.name = name

    def __call__(self, step):
        return self.at(_progress(step, self.total_steps))

    def at(self, progress):
        """The learning rate at ``progress`` (in [0, 1]) of the training."""
        return self.initial_learning_rate * schedule_factor(self.name, progress)

    def get_config(self):
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "total_steps": self.total_steps,
            "name": self.name,
        }


@keras.saving.register_keras_serializable(package=_PACKAGE)
class ScheduledAdamW(keras.optimizers.AdamW):
    """AdamW whose decoupled weight decay is ``weight_decay`` times the
    ``decay_schedule`` factor at ``iterations / total_steps`` (a function of the
    step, so every Keras backend and engine applies it inside its compiled step),
    and whose ``ProgressSchedule`` learning rate follows the same progress.

    ``total_steps`` is also held in a variable of the optimizer, which its step
    reads: the compiled step of one network then serves fits of every length (the
    fast loops' ``EpochLoop.share``), as the step count is state, not a constant of
    the traced program.
    """

    def __init__(self, total_steps, decay_schedule="flat_cos", **kwargs):
        super().__init__(**kwargs)
        self.total_steps = int(total_steps)
        with keras.name_scope(self.name, caller=self):
            self._total_steps = keras.Variable(
                self.total_steps,
                name="total_steps",
                dtype="float32",
                trainable=False,
                aggregation="only_first_replica",
            )
        self._track_variable(self._total_steps)
        self.decay_schedule = decay_schedule

    def progress(self):
        """How far training is, in [0, 1]: ``iterations / total_steps``."""
        return _progress(self.iterations, self._total_steps)

    def _get_current_learning_rate(self):
        if isinstance(self._learning_rate, ProgressSchedule):
            return self._learning_rate.at(self.progress())
        return super()._get_current_learning_rate()

    @property
    def weight_decay(self):
        base = self._base_weight_decay
        if base is None or "decay_schedule" not in self.__dict__:
            return base  # while the base class is set up
        return base * schedule_factor(self.decay_schedule, self.progress())

    @weight_decay.setter
    def weight_decay(self, value):
        self._base_weight_decay = value

    def get_config(self):
        config = super().get_config()
        config.update(
            weight_decay=self._base_weight_decay,
            total_steps=self.total_steps,
            decay_schedule=self.decay_schedule,
        )
        return config


class RegularizationSchedule(keras.callbacks.Callback):
    """Sets the rate factor of every ``ScheduledDropout`` of the model at the start
    of each epoch: schedule ``name`` at ``epoch / epochs``."""

    def __init__(self, epochs, name="flat_cos"):
        super().__init__()
        self.epochs = int(epochs)
        self.name = name
        self._layers = self._factor = None  # found once per fit, the last set

    def on_train_begin(self, logs=None):
        self._layers = self._factor = None

    def _scheduled(self):
        if self._layers is None:
            self._layers = list(_dropouts(self.model))
        return self._layers

    def on_epoch_begin(self, epoch, logs=None):
        factor = float(schedule_factor(self.name, epoch / max(self.epochs, 1)))
        if factor != self._factor:  # (flat for the first half: set once)
            for layer in self._scheduled():
                layer.factor.assign(factor)
            self._factor = factor

    def on_train_end(self, logs=None):
        for layer in self._scheduled():  # a further fit starts at the full rate
            layer.factor.assign(1.0)
        self._layers = self._factor = None


def _dropouts(model):
    """The ``ScheduledDropout`` layers of ``model``, nested models included."""
    from skdeep.neural_network._tabular_layers import ScheduledDropout

    for layer in model.layers:
        if isinstance(layer, ScheduledDropout):
            yield layer
        elif hasattr(layer, "layers"):
            yield from _dropouts(layer)
