"""Bridge hooks of the Keras-backed classifier (MLPClassifier).

Targets are encoded by ``BuiltinClassifierTarget`` (binary, multiclass or
multilabel), which also names the loss and the output activation; class weights
fold into the sample weights.
"""

import numpy as np
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.multiclass import unique_labels

from skdeep._bridge._targets import BuiltinClassifierTarget
from skdeep.neural_network._base import _is_column_vector


class _ClassifierHooks:
    """Classification hooks of ``_BaseKerasEstimator``; needs a ``class_weight``
    parameter. Goes between ``ClassifierMixin`` and the base, as ``_RegressorHooks``.
    """

    def _encode_y(self, y, *, first_pass, classes=None):
        if _is_column_vector(y):
            y = y.ravel()
        if first_pass:
            # (a single class fits, as scikit-learn's: predict returns it)
            target = BuiltinClassifierTarget(y, classes=classes)
            self._target = target
            self.classes_ = target.classes_
            self.n_outputs_ = target.n_outputs
            self.out_activation_ = (
                "softmax" if target.task == "multiclass" else "logistic"
            )
        elif (
            classes is None
            and not np.array_equal(self.classes_, self._classes_of(y))
            and self._target.task != "multilabel"
        ):
            raise ValueError(
                "warm_start can only be used where `y` has the same classes as in "
                f"the previous call to fit. Previously got {self.classes_}, `y` has "
                f"{self._classes_of(y)}"
            )
        self._target.check_labels(y, f"{type(self).__name__}.partial_fit")
        return self._target.encode(y, self._dtype)

    @staticmethod
    def _classes_of(y):
        return unique_labels(y)

    def _combine_weights(self, sample_weight, y, *, incremental):
        if self.class_weight is not None:
            if self._target.task == "multilabel":
                raise ValueError(
                    "class_weight is not supported for multilabel targets; pass "
                    "sample_weight instead."
                )
            sample_weight = sample_weight * compute_sample_weight(self.class_weight, y)
        if (
            self._target.task != "multilabel"
            and not incremental
            and len(self.classes_) > 1
        ):
            # partial_fit batches may hold a single class; a whole fit may not
            weighted = np.unique(y[sample_weight > 0])
            if len(weighted) < 2:
                raise ValueError(
                    "Only one class has a non-zero sample weight: a classifier "
                    f"needs samples of at least 2 classes (got {weighted})."
                )
        return sample_weight

    def _output_activation(self):
        return self._target.output_activation

    def _loss_name(self):
        return self._target.loss_name

    def _task(self):
        return self._target.task

    # The target helper travels as plain data, so that skops files hold no
    # skdeep-internal type (only MLPClassifier itself).
    def __getstate__(self):
        state = super().__getstate__()
        target = state.pop("_target", None)
        if target is not None:
            state["_target_state"] = target.state()
        return state

    def __setstate__(self, state):
        state = dict(state)
        target = state.pop("_target_state", None)
        if target is not None:
            state["_target"] = BuiltinClassifierTarget.from_state(target)
        super().__setstate__(state)
