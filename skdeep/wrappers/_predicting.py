"""Predicting: the compiled predictor on the fitted devices, and Monte Carlo
dropout draws (``mc_samples``)."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from skdeep._bridge import _routing, _streams
from skdeep._bridge._precision import to_float32
from skdeep._bridge.engine._arrays import is_memmap
from skdeep.wrappers._building import input_dtype

_PREDICT_ARGS = {"batch_size", "verbose"}


class PredictingMixin:
    """The network's raw outputs for X, as the prediction methods decode them."""

    def _raw_predict(self, X, *, all_outputs=False, mc_samples=None, **kwargs):
        """The network's main output (or, with ``all_outputs``, a list of every
        output in the model's order). With ``mc_samples``, each is an array of
        that many draws in training mode (Monte Carlo dropout), stacked first."""
        check_is_fitted(self, "model_")
        # straight to the network's input dtype: one conversion, and the finiteness
        # check reads the converted array
        _streams.refuse_in_predict(self, X)
        # a memory-mapped X is converted a chunk at a time by the predictor
        dtype = "numeric" if is_memmap(X) else input_dtype(self.model_)
        X = self._validate_X(X, reset=False, dtype=dtype)
        X = self._in_input_order(self.model_, X)
        self._check_sample_shapes(X)
        # predict__ parameters are never constructor arguments: no get_params here
        params = _routing.route_params(self._extra_params(), "predict")
        params.update(kwargs)
        unknown = set(params) - _PREDICT_ARGS
        if unknown:
            raise ValueError(
                f"Unknown predict arguments {sorted(unknown)}; predict takes "
                f"{sorted(_PREDICT_ARGS)}."
            )
        if mc_samples is not None:
            return self._sample_outputs(X, mc_samples, all_outputs, params)
        with self._predict_placement().predicting():
            outputs = self._predictor(X, batch_size=params.get("batch_size"))
        return self._select_outputs(to_float32(outputs), all_outputs)

    def _sample_outputs(self, X, mc_samples, all_outputs, params):
        from skdeep._bridge.engine._predict import sample_outputs

        if isinstance(mc_samples, bool) or not isinstance(mc_samples, Integral):
            raise TypeError(f"mc_samples must be an int, got {mc_samples!r}.")
        if mc_samples < 1:
            raise ValueError(f"mc_samples must be at least 1, got {mc_samples}.")
        with self._predict_placement().predicting():
            draws = sample_outputs(
                self.model_,
                X,
                int(mc_samples),
                _mc_seed(self.random_state),
                batch_size=params.get("batch_size"),
            )
        draws = [self._select_outputs(to_float32(d), True) for d in draws]
        stacked = [np.stack(parts) for parts in zip(*draws)]
        return stacked if all_outputs else stacked[0]


def _mc_seed(random_state):
    """The seed of Monte Carlo draws: ``random_state``'s (an int gives the same
    draws at every call); fresh entropy for None, never NumPy's global state."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**31 - 1))
    if isinstance(random_state, Integral):
        return int(random_state)
    return int(random_state.randint(2**31 - 1))
