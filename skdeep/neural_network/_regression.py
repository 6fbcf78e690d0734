"""Bridge hooks shared by the Keras-backed regressors (MLPRegressor, WideDeepRegressor).

Targets are float matrices (one column per output), the loss and the output
activation are parameters, and predictions of a one-output network come back 1-D.
"""

import numpy as np

from skdeep.neural_network._base import _is_column_vector


class _RegressorHooks:
    """Regression hooks of ``_BaseKerasEstimator``; needs ``loss`` and
    ``output_activation`` parameters. Goes between ``RegressorMixin`` and the base.
    """

    def _check_fit_params(self, X):
        if self.loss == "poisson" and self.output_activation is not None:
            raise ValueError(
                "loss='poisson' uses an exponential output; leave "
                f"output_activation=None (got {self.output_activation!r})."
            )

    def _encode_y(self, y, *, first_pass, classes=None):
        _is_column_vector(y)  # warns as scikit-learn does; 1 output is kept
        Y = np.asarray(y, dtype=np.float64).reshape(y.shape[0], -1)
        if not np.all(np.isfinite(Y)):
            raise ValueError("Input y contains NaN or infinity.")
        if self.loss == "poisson" and np.any(Y < 0):
            raise ValueError(
                "Some value(s) of y are negative which is not allowed for Poisson "
                "regression."
            )
        if first_pass:
            self.n_outputs_ = Y.shape[1]
            self.out_activation_ = self._output_activation()
        elif Y.shape[1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[1]} outputs but the fitted network has "
                f"{self.n_outputs_}; set warm_start=False to train a new network."
            )
        return Y.astype(self._dtype)

    def _output_activation(self):
        if self.output_activation is not None:
            return self.output_activation
        return "exponential" if self.loss == "poisson" else "identity"

    def _loss_name(self):
        return self.loss

    def _task(self):
        return "regression"

    def _predict_output(self, X, mc_samples, return_std, output=None):
        """``predict``'s result from the network output ``output`` (the only one
        when None): the mean of ``mc_samples`` stochastic passes when given, with
        their standard deviation when ``return_std``."""
        if mc_samples is None:
            if return_std:
                raise ValueError(
                    "return_std=True needs mc_samples: the standard deviation is "
                    "that of mc_samples predictions with dropout active (MC dropout)."
                )
            out = self._forward(X)
            return self._as_prediction(out if output is None else out[output])
        samples = self._mc_outputs(X, mc_samples)[output or 0]
        mean = self._as_prediction(samples.mean(axis=0))
        if return_std:
            return mean, self._as_prediction(samples.std(axis=0))
        return mean

    @staticmethod
    def _as_prediction(out):
        """One network output as returned by ``predict``: 1-D for one target."""
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
