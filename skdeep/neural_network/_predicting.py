"""Predictions of the built-in networks: inputs validated (or a fast path for plain
arrays), routed to the inference pass ``_engine.predictor`` chose, or to MC dropout.

``_PredictMixin`` is a part of ``_BaseKerasEstimator``.
"""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from skdeep._bridge import _streams
from skdeep.neural_network._inference import NonFiniteInputError
from skdeep.utils._random import _MAX_SEED, local_random_state


class _PredictMixin:
    """The prediction side of ``_BaseKerasEstimator``. Not for direct use."""

    def _forward(self, X, labels=False):
        """The network's outputs for ``X`` (a list if several), validated as
        ``predict`` needs; with ``labels``, the predictor's ``labels`` instead."""
        predictor = self._fitted_predictor()
        run = predictor.labels if labels else predictor
        if self._is_plain_array(X):
            inputs = self._model_inputs(X)
            if (
                getattr(predictor, "checks_finite", False)
                and len(inputs) == 1
                and inputs[0] is X  # (not a selection of X's columns)
            ):
                # the pass checks X inside its first matrix product
                try:
                    return run(X, check_finite=True)
                except NonFiniteInputError:
                    pass  # validate_data raises scikit-learn's error
            elif np.isfinite(X).all():
                return run(*inputs)
        _streams.refuse_in_predict(self, X)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        return run(*self._model_inputs(X))

    def _mc_outputs(self, X, mc_samples):
        """Each network output over ``mc_samples`` passes with dropout active (MC
        dropout), as arrays of shape ``(mc_samples, n_rows, n_units)``."""
        from skdeep.neural_network._mc_dropout import has_dropout, mc_samples_of

        self._fitted_predictor()  # NotFittedError first
        if (
            not isinstance(mc_samples, Integral | np.integer)
            or isinstance(mc_samples, bool)
            or mc_samples < 1
        ):
            raise ValueError(
                f"mc_samples must be a positive integer or None, got {mc_samples!r}."
            )
        if not has_dropout(self.model_):
            raise ValueError(
                "mc_samples averages passes with dropout active, but this network "
                "has no dropout: fit it with dropout > 0."
            )
        _streams.refuse_in_predict(self, X)
        X = validate_data(self, X, reset=False, dtype=[np.float64, np.float32])
        # a stream apart from the fit's seeds (the same for an int random_state)
        seed = int(local_random_state(self.random_state).randint(_MAX_SEED, size=4)[3])
        return mc_samples_of(self.model_, self._model_inputs(X), int(mc_samples), seed)

    def _fitted_predictor(self):
        """The inference pass; NotFittedError when unfitted (cheaper than a plain
        ``check_is_fitted``, which looks at every attribute: 0.1 ms a call)."""
        if not hasattr(self, "_predictor"):
            check_is_fitted(self, "_predictor")
        return self._predictor

    def _is_plain_array(self, X):
        """Whether ``X`` needs none of ``validate_data``'s conversions or warnings,
        finiteness aside.

        A fast path for the common call (``predict`` on a float ndarray of the right
        width, on an estimator fitted without feature names): it skips
        ``validate_data``'s generic checks, which dominate single-row latency.
        Anything else goes through ``validate_data`` and gets its usual errors.
        """
        return (
            type(X) is np.ndarray
            and X.ndim == 2
            and X.dtype in (np.float64, np.float32)
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and not hasattr(self, "feature_names_in_")
        )

    def _make_predictor(self, placement=None):
        """The inference pass, on the fit's ``placement`` (after unpickling, the
        fitted ``device_`` where this process has it, else ``"auto"``)."""
        from skdeep._bridge._devices import fitted_placement
        from skdeep.neural_network._engine import predictor

        if placement is None:
            placement = fitted_placement(getattr(self, "device_", self.device))
        return predictor(self.model_, placement)
