"""The base class every Keras-backed estimator shares: wrappers and built-in networks.

It holds what does not depend on who built the network: sample-weight validation,
the per-epoch ``history_`` record, where predictions run, and the tags. The
wrappers' base (``skdeep.wrappers._base.BaseWrapper``) adds building a user's model
and Keras' ``fit`` arguments; the built-in networks' base
(``skdeep.neural_network._base``) adds scikit-learn's MLP parameters and its epoch
loop. Target encoding for both lives in ``_targets``.
"""

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import _check_sample_weight


class KerasEstimator(BaseEstimator):
    """Base class of skdeep's Keras-backed estimators. Not for direct use."""

    def _validate_sample_weight(self, sample_weight, X):
        """``sample_weight`` as float64: one non-negative finite weight per sample,
        with a positive sum (scikit-learn's checks and wording where it has them)."""
        sample_weight = _check_sample_weight(
            sample_weight, X, dtype=np.float64, ensure_non_negative=True
        )
        if not np.all(np.isfinite(sample_weight)):
            raise ValueError("Input sample_weight contains NaN or infinity.")
        if not sample_weight.sum() > 0:
            raise ValueError(
                "sample_weight sums to zero: at least one sample needs a positive "
                "weight."
            )
        return sample_weight

    def _extend_history(self, logs):
        """Append per-epoch values (``{name: [value per epoch]}``) to ``history_``."""
        history = self.__dict__.setdefault("history_", {})
        for name, values in logs.items():
            history.setdefault(name, []).extend(float(v) for v in values)

    def _predict_placement(self):
        """Where predictions run: the fitted devices (after loading elsewhere, what
        ``device_`` names if this process has it, else "auto")."""
        placement = self.__dict__.get("_placement")
        if placement is None:
            from skdeep._bridge._devices import fitted_placement

            placement = fitted_placement(getattr(self, "device_", "auto"))
            self._placement = placement
        return placement

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
