"""Targets: what a network trains on, and back to labels.

``ClassifierTarget`` and ``RegressorTarget`` serve the wrappers (a user's model);
``BuiltinClassifierTarget`` serves the built-in networks, whose output is fixed by the
task (one sigmoid unit, softmax units, or one sigmoid unit per label). For a user's
model the encoding follows the compiled loss and the width of the model's output:

| target | output units | loss (* = the default) | the network sees |
|---|---|---|---|
| binary | 1 | binary cross-entropy * | 0/1 column |
| binary | 2 | sparse categorical cross-entropy | class index |
| multiclass | n_classes | sparse categorical cross-entropy * | class index |
| multiclass | n_classes | categorical cross-entropy | one-hot rows |
| one-hot (one 1 per row) | n_columns | categorical cross-entropy * | as given |
| multilabel indicator | n_labels | binary cross-entropy * | as given |

Any other loss gets a 0/1 column (one unit) or one-hot rows (one unit per class).
"""

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target

_SPARSE = "sparse_categorical_crossentropy"
_CATEGORICAL = "categorical_crossentropy"
_BINARY = "binary_crossentropy"


def loss_kind(loss):
    """``"sparse"``, ``"categorical"``, ``"binary"`` or None for a compiled loss."""
    import keras

    name = loss if isinstance(loss, str) else None
    if isinstance(loss, keras.losses.Loss):
        name = type(loss).__name__
    elif callable(loss) and name is None:
        name = getattr(loss, "__name__", "")
    name = (name or "").lower().replace("_", "")
    if name.startswith("sparsecategoricalcrossentropy") or name in ("scce",):
        return "sparse"
    if name.startswith("categoricalcrossentropy") or name in ("cce",):
        return "categorical"
    if name.startswith("binarycrossentropy") or name in ("bce",):
        return "binary"
    return None


def from_logits(loss):
    if hasattr(loss, "get_config"):
        try:
            return bool(loss.get_config().get("from_logits", False))
        except (NotImplementedError, TypeError):
            return False
    return False


def check_known_labels(y, classes, *, indicator, context=None):
    """Raise when ``y`` holds labels outside ``classes`` (or, for an indicator
    target, has another number of columns): a later partial or warm fit."""
    prefix = f"{context}: " if context else ""
    if indicator:
        if y.ndim != 2 or y.shape[1] != len(classes):
            raise ValueError(
                f"{prefix}y must be an indicator matrix with {len(classes)} columns, "
                f"as in the first fit; got shape {y.shape}."
            )
        return
    unseen = np.setdiff1d(np.unique(y), classes)
    if unseen.size:
        # scikit-learn's message, with scikeras's key words (unknown categories)
        raise ValueError(
            f"{prefix}`y` has classes not in `self.classes_`. `self.classes_` has "
            f"{classes}. 'y' has {np.unique(y)}: unknown categories {unseen}."
        )


class _PlainState:
    """Targets pickle (and go into skops files) as a dict of plain values."""

    _fields: tuple = ()

    def state(self):
        return {name: getattr(self, name) for name in self._fields}

    @classmethod
    def from_state(cls, state):
        missing = set(cls._fields) - set(state)
        if missing:
            raise ValueError(f"Not a {cls.__name__} state: {sorted(missing)} missing.")
        target = cls.__new__(cls)
        for name in cls._fields:
            setattr(target, name, state[name])
        return target


class ClassifierTarget(_PlainState):
    """Labels of a classification target and how the model's outputs map to them."""

    _fields = ("target_type", "one_hot", "classes_", "kind", "width", "logits")

    def __init__(self, y, classes=None):
        check_classification_targets(y)
        self.target_type = type_of_target(y, input_name="y")
        y = np.asarray(y)
        if self.target_type == "multilabel-indicator":
            rows = y.sum(axis=1)
            self.one_hot = bool(np.all(rows == 1))
            self.classes_ = np.arange(y.shape[1])
        elif self.target_type in ("binary", "multiclass"):
            self.one_hot = False
            found = np.unique(y)
            self.classes_ = found if classes is None else np.unique(classes)
            if len(self.classes_) > 2:  # declared classes a batch may not all hold
                self.target_type = "multiclass"
        else:
            raise ValueError(
                f"Targets of type {self.target_type!r} are not supported by "
                "KerasClassifier: pass 1-D labels, one-hot rows or a multilabel "
                "indicator matrix."
            )
        self.kind = None  # set by ``bind`` once the model and its loss are known
        self.width = None
        self.logits = False

    @property
    def multilabel(self):
        return self.target_type == "multilabel-indicator" and not self.one_hot

    @property
    def n_outputs_expected(self):
        if self.target_type == "binary":
            return 1
        return len(self.classes_)

    def default_loss(self, width=None):
        """The loss for a model with ``width`` output units (None: not known yet)."""
        if self.target_type == "binary" and width == 2:
            return _SPARSE
        if self.multilabel or self.target_type == "binary":
            return _BINARY
        return _CATEGORICAL if self.one_hot else _SPARSE

    def bind(self, loss, width):
        """Fix the encoding for a model whose output has ``width`` units."""
        n_classes = len(self.classes_)
        allowed = {1, 2} if self.target_type == "binary" else {n_classes}
        if width not in allowed:
            expected = " or ".join(str(w) for w in sorted(allowed))
            raise ValueError(
                f"The model's output has {width} units, but the target has "
                f"{n_classes} classes ({self.target_type}): build the model with "
                f"{expected} output units. The build function can read the number "
                "from meta['n_outputs_expected_'] or meta['n_classes_']."
            )
        kind = loss_kind(loss)
        if self.multilabel:
            kind = "binary"
        elif kind is None or (kind == "binary" and width != 1):
            kind = "binary" if width == 1 else "categorical"
        elif kind != "binary" and width == 1:
            raise ValueError(
                f"A loss of kind {kind!r} needs one output unit per class; the model "
                "has a single output unit. Use binary_crossentropy with one sigmoid "
                "unit, or two softmax units."
            )
        self.kind, self.width, self.logits = kind, width, from_logits(loss)

    def check_labels(self, y):
        indicator = self.target_type == "multilabel-indicator"
        check_known_labels(y, self.classes_, indicator=indicator)

    def class_indices(self, y):
        if self.target_type == "multilabel-indicator":
            return np.argmax(y, axis=1) if self.one_hot else None
        return np.searchsorted(self.classes_, y)

    def encode(self, y):
        import keras

        floatx = keras.backend.floatx()
        if self.target_type == "multilabel-indicator":
            if self.one_hot and self.kind == "sparse":
                return np.argmax(y, axis=1).astype("int32")
            return np.asarray(y, dtype=floatx)
        index = self.class_indices(y)
        if self.kind == "sparse":
            return index.astype("int32")
        if self.kind == "binary":
            return index.astype(floatx).reshape(-1, 1)
        return np.eye(self.width, dtype=floatx)[index]

    def proba(self, raw):
        raw = np.asarray(raw, dtype=np.float64)
        if self.logits:
            if self.width == 1 or self.multilabel:
                raw = 1.0 / (1.0 + np.exp(-raw))
            else:
                raw = np.exp(raw - raw.max(axis=1, keepdims=True))
                raw /= raw.sum(axis=1, keepdims=True)
        if self.multilabel:
            return raw
        if len(self.classes_) == 1:
            # one class (scikeras fits it): the model trains on it, and its one
            # column of probabilities, that class's, is 1 whatever the network says
            return np.ones((len(raw), 1))
        if self.width == 1:
            raw = raw.reshape(-1)
            return np.column_stack([1.0 - raw, raw])
        return raw

    def decode(self, proba):
        if self.multilabel:
            return (proba > 0.5).astype(int)
        index = np.argmax(proba, axis=1)
        if self.one_hot:
            return np.eye(len(self.classes_), dtype=int)[index]
        return self.classes_[index]


class RegressorTarget(_PlainState):
    """A numeric target of one or several outputs."""

    _fields = ("target_type", "ndim", "n_outputs_expected", "width")

    def __init__(self, y):
        y = np.asarray(y)
        self.target_type = type_of_target(y, input_name="y", raise_unknown=False)
        self.ndim = y.ndim
        self.n_outputs_expected = 1 if y.ndim == 1 else y.shape[1]
        self.width = None

    def bind(self, loss, width):
        if width != self.n_outputs_expected:
            raise ValueError(
                f"The model's output has {width} units, but the target has "
                f"{self.n_outputs_expected} output(s): build the model with "
                f"{self.n_outputs_expected} output units (the build function can "
                "read meta['n_outputs_expected_'])."
            )
        self.width = width

    def encode(self, y):
        import keras

        y = np.asarray(y, dtype=keras.backend.floatx())
        return y.reshape(-1, 1) if y.ndim == 1 else y

    def decode(self, raw):
        raw = np.asarray(raw)
        return raw.reshape(-1) if self.ndim == 1 else raw.reshape(len(raw), -1)


class BuiltinClassifierTarget:
    """Labels of the built-in networks' targets (``MLPClassifier``): their encoding is
    fixed by the task, where ``ClassifierTarget`` follows a user's model.

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
            return self.classes_[self._binary_index(decided.reshape(-1))]
        return decided.astype(int)

    def _binary_index(self, positive):
        """The index in ``classes_`` of each binary decision: a target of one class
        (which scikit-learn's MLPClassifier fits) decides it always."""
        return np.minimum(positive.astype(int), len(self.classes_) - 1)

    def decode(self, raw):
        if self.task == "multilabel":
            return (raw > 0.5).astype(int)
        if self.task == "binary":
            return self.classes_[self._binary_index(raw.reshape(-1) > 0.5)]
        return self.classes_[np.argmax(raw, axis=1)]
