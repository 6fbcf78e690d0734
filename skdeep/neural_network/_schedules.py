"""Learning-rate schedules of the built-in networks, as per-step rate arrays.

A schedule gives, for each epoch, the rate of each of its minibatch steps (and, for
1cycle with SGD, the momentum of each step). Every engine reads such an array
(``_engine_interface.Engine.run_epoch``), so one definition serves the NumPy loop, the
compiled TensorFlow loop and the Keras engine. ``"constant"`` and ``"adaptive"``
return the rate the epoch loop holds (``"adaptive"`` lowers it when progress
stalls, in ``_epochs.train``).
"""

import numpy as np

# Share of the steps 1cycle spends on its final drop, and how far it drops
# (Smith 2018, as in Hands-On ML's OneCycleScheduler).
_ONECYCLE_TAIL = 0.1
_ONECYCLE_FINAL_DIVISOR = 1000.0
_ONECYCLE_MOMENTUM_RANGE = 0.1


def check_schedule(estimator):
    """Clear errors for schedule parameters that cannot work together."""
    name = estimator.learning_rate
    if name == "piecewise":
        boundaries, values = (
            estimator.piecewise_boundaries,
            estimator.piecewise_values,
        )
        if boundaries is None or values is None:
            raise ValueError(
                "learning_rate='piecewise' needs piecewise_boundaries (the epochs at "
                "which the rate changes) and piecewise_values (one more rate than "
                "boundaries), e.g. piecewise_boundaries=[5, 15], "
                "piecewise_values=[0.01, 0.005, 0.001]."
            )
        boundaries = np.asarray(boundaries, dtype=float).ravel()
        values = np.asarray(values, dtype=float).ravel()
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "piecewise_values must hold one more rate than piecewise_boundaries, "
                f"got {len(values)} values for {len(boundaries)} boundaries."
            )
        if np.any(np.diff(boundaries) <= 0) or np.any(boundaries <= 0):
            raise ValueError(
                "piecewise_boundaries must be increasing positive epoch numbers, got "
                f"{estimator.piecewise_boundaries!r}."
            )
        if not np.all(np.isfinite(values)) or np.any(values <= 0):
            raise ValueError(
                "piecewise_values must be positive learning rates, got "
                f"{estimator.piecewise_values!r}."
            )
    if name == "1cycle":
        top = estimator.max_learning_rate
        if top is not None and top <= estimator.learning_rate_init:
            raise ValueError(
                f"max_learning_rate={top} must exceed learning_rate_init="
                f"{estimator.learning_rate_init}: 1cycle rises from the initial rate "
                "to the maximum half way through training."
            )


class Schedule:
    """The rate of every step of a fit of ``max_epochs`` epochs of ``n_batches``."""

    def __init__(self, estimator, *, initial_rate, n_batches, cycle_momentum):
        self.name = estimator.learning_rate
        self.initial = float(initial_rate)
        self.n_batches = int(n_batches)
        self.total = self.n_batches * int(estimator.max_iter)
        self.power_t = float(estimator.power_t)
        self.decay_rate = float(estimator.decay_rate)
        self.decay_steps = (
            self.total if estimator.decay_steps is None else int(estimator.decay_steps)
        )
        if self.name == "piecewise":
            self.boundaries = np.asarray(estimator.piecewise_boundaries, float).ravel()
            self.values = np.asarray(estimator.piecewise_values, float).ravel()
        top = estimator.max_learning_rate
        self.top = 10.0 * self.initial if top is None else float(top)
        self.momentum = float(estimator.momentum)
        self.cycle_momentum = bool(cycle_momentum) and self.name == "1cycle"

    def _steps(self, epoch):
        return epoch * self.n_batches + np.arange(self.n_batches)

    def rates(self, epoch, samples_seen, current):
        """The rate of each step of epoch ``epoch`` (0-based; a float when it is
        one for the whole epoch). ``samples_seen`` counts the samples of earlier
        epochs; ``current`` is the rate the loop holds: the rate of "constant" and
        "adaptive", and the scale of the others (a Keras callback that sets the
        optimizer's rate, e.g. ``ReduceLROnPlateau``, rescales the schedule from
        then on: ``current / initial_rate``)."""
        if self.name in ("constant", "adaptive"):
            return float(current)
        scale = float(current) / self.initial
        rates = self._rates(epoch, samples_seen)
        return rates if scale == 1.0 else rates * scale

    def _rates(self, epoch, samples_seen):
        if self.name == "invscaling":  # scikit-learn's power scheduling, per epoch
            return self.initial / (samples_seen + 1) ** self.power_t
        if self.name == "piecewise":
            return float(self.values[np.searchsorted(self.boundaries, epoch, "right")])
        steps = self._steps(epoch)
        if self.name == "power":  # Hands-On ML's power scheduling, per step
            return self.initial / (1.0 + steps / self.decay_steps) ** self.power_t
        if self.name == "exponential":
            return self.initial * self.decay_rate ** (steps / self.decay_steps)
        return np.interp(steps, self._onecycle_knots(), self._onecycle_rates())

    def momenta(self, epoch):
        """SGD's momentum at each step under 1cycle (inverse to the rate), or None."""
        if not self.cycle_momentum:
            return None
        low = max(0.0, self.momentum - _ONECYCLE_MOMENTUM_RANGE)
        return np.interp(
            self._steps(epoch),
            self._onecycle_knots(),
            [self.momentum, low, self.momentum, self.momentum],
        )

    def _onecycle_knots(self):
        tail = max(1, int(round(self.total * _ONECYCLE_TAIL)))
        half = max(1, (self.total - tail) // 2)
        return [0, half, 2 * half, max(2 * half + 1, self.total - 1)]

    def _onecycle_rates(self):
        start = self.initial
        return [start, self.top, start, start / _ONECYCLE_FINAL_DIVISOR]
