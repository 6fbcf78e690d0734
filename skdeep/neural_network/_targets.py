"""Target encoding for the neural estimators: labels <-> float matrices."""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from skdeep._bridge._targets import check_known_labels


class ClassificationTarget:
    """Encode class labels for a network and decode its probabilities.

    ``task`` is ``"binary"`` (one sigmoid unit), ``"multiclass"`` (softmax) or
    ``"multilabel"`` (one sigmoid unit per label, ``classes_ = arange(n_labels)`` as in
    scikit-learn's MLPClassifier).
    """

    def __init__(self, y, classes=None):
        check_classification_targets(y)
        y_type = type_of_target(y, input_name="y")
        if y_type == "multilabel-indicator":
            self.task = "multilabel"
            self.classes_ = np.arange(y.shape[1])
        elif y_type in ("binary", "multiclass"):
            found = np.unique(y)
            self.classes_ = found if classes is None else np.unique(classes)
            self.task = "binary" if len(self.classes_) <= 2 else "multiclass"
        else:
            raise ValueError(
                f"Targets of type {y_type!r} are not supported: pass a 1-D array of "
                "labels or a 2-D binary indicator matrix (multilabel)."
            )

    @classmethod
    def from_state(cls, state):
        """Rebuild from :meth:`state` (plain data: pickle and skops need no type)."""
        if state.get("task") not in ("binary", "multiclass", "multilabel"):
            raise ValueError(f"Not a classification target state: {state!r}.")
        target = cls.__new__(cls)
        target.task = state["task"]
        target.classes_ = np.asarray(state["classes"])
        return target

    def state(self):
        """The plain data this target is made of, for pickling."""
        return {"task": self.task, "classes": self.classes_}

    @property
    def n_outputs(self):
        if self.task == "binary":
            return 1
        return len(self.classes_)

    @property
    def output_activation(self):
        return "softmax" if self.task == "multiclass" else "sigmoid"

    @property
    def loss_name(self):
        return "log_loss" if self.task == "multiclass" else "binary_log_loss"

    def check_labels(self, y, context):
        """Raise when ``y`` holds labels outside ``classes_`` (partial_fit)."""
        indicator = self.task == "multilabel"
        check_known_labels(y, self.classes_, indicator=indicator, context=context)

    def encode(self, y, dtype):
        if self.task == "multilabel":
            return np.asarray(y, dtype=dtype)
        index = np.searchsorted(self.classes_, y)
        if self.task == "binary":
            return (index == 1).astype(dtype).reshape(-1, 1)
        return np.eye(len(self.classes_), dtype=dtype)[index]

    def proba(self, raw):
        """Rows of class probabilities from the network's output."""
        if self.task == "binary":
            raw = raw.reshape(-1)
            return np.column_stack([1.0 - raw, raw])
        return raw

    def decode_decisions(self, decided):
        """Labels from ``NumpyForward.labels``' decisions (the same as ``decode``)."""
        if self.task == "multiclass":
            return self.classes_[decided]
        if self.task == "binary":
            return self.classes_[decided.reshape(-1).astype(int)]
        return decided.astype(int)

    def decode(self, raw):
        if self.task == "multilabel":
            return (raw > 0.5).astype(int)
        if self.task == "binary":
            return self.classes_[(raw.reshape(-1) > 0.5).astype(int)]
        return self.classes_[np.argmax(raw, axis=1)]
