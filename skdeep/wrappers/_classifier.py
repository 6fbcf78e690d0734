"""KerasClassifier: a scikit-learn classifier around any Keras model."""

import warnings

import numpy as np
from sklearn.base import ClassifierMixin, _fit_context
from sklearn.exceptions import DataConversionWarning
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.validation import column_or_1d, validate_data

from skdeep._bridge._precision import half_precision_outputs
from skdeep._bridge._targets import ClassifierTarget
from skdeep.wrappers._base import BaseWrapper


class KerasClassifier(ClassifierMixin, BaseWrapper):
    """A scikit-learn classifier that trains a Keras model (scikeras-compatible).

    Parameters
    ----------
    model : callable or keras.Model, default=None
        A build function returning a ``keras.Model`` (compiled or not), or a
        ``keras.Model`` (Sequential, Functional or subclassed), used as given:
        every fit trains a faithful copy of it (weights, frozen flags, compiled
        loss and optimizer), never the instance itself. The build function's
        arguments are parameters of this estimator, by bare name or routed
        (``model__name``); it may also ask for ``meta`` (what the data tell:
        ``n_features_in_``, ``classes_``, ``n_classes_``, ``n_outputs_expected_``,
        ``target_type_``, ...), ``compile_kwargs`` (``optimizer``, ``loss``,
        ``metrics`` ready for ``model.compile``) and ``params``.
    warm_start : bool, default=False
        Whether ``fit`` continues training the fitted model instead of building a
        new one.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout and shuffling, including draws a build
        function makes from Python's, NumPy's or Keras' global generators (they are
        restored afterwards: no global seed is left changed).
    optimizer : str, class or keras.optimizers.Optimizer, default="rmsprop"
        Used when the model is not compiled; ``optimizer__name`` parameters go to
        its constructor. An instance is copied for every fit.
    loss : str, class, keras.losses.Loss, callable or None, default=None
        Used when the model is not compiled. None picks the loss that fits the
        target: binary cross-entropy for binary and multilabel targets, sparse
        categorical cross-entropy for class labels, categorical cross-entropy for
        one-hot targets (see the user guide).
    metrics : list or None, default=None
        Keras metrics, reported per epoch in ``history_``.
    batch_size : int or None, default=None
        Minibatch size (None: 32, as Keras).
    validation_batch_size : int or None, default=None
        Batch size for validation (None: ``batch_size``).
    verbose : {0, 1, 2}, default=0
        0 silent; 1 a progress bar per epoch; 2 one line per epoch.
    callbacks : list of keras.callbacks.Callback or None, default=None
        Copied for every fit, so a search never shares callback state.
    validation_split : float, default=0.0
        Fraction of the training data (the last samples, as in Keras) held out to
        compute ``val_*`` figures each epoch.
    shuffle : bool, default=True
        Shuffle the training samples before every epoch.
    run_eagerly : bool, default=False
        Run the model eagerly (for debugging; slow).
    epochs : int or "auto", default="auto"
        Passes over the training data per ``fit``. An int is Keras' meaning: exactly
        that many epochs (fewer only if a callback stops training). ``"auto"`` trains
        as scikit-learn's MLP does by default: at most 200 epochs, stopping once the
        training loss has not improved by 1e-4 for 10 epochs. (scikeras's default
        is 1 epoch, which cannot fit even a small problem.) ``partial_fit`` always
        trains one epoch.
    jit_compile : bool or "auto", default="auto"
        Passed to ``model.compile`` (XLA compilation).
    device : str or list of str, default="auto"
        Where the model trains and predicts (TensorFlow and JAX backends):
        ``"auto"`` (the first GPU, else the CPU; in a worker process of a parallel
        search, the worker's own GPU, round-robin), ``"cpu"``, ``"gpu"``,
        ``"gpu:N"``, or a list such as ``["gpu:0", "gpu:1"]`` for data-parallel
        training (``batch_size`` is then the global batch). See the GPU guide.
    precision : {"float32", "mixed_float16", "mixed_bfloat16"} or None, \
            default=None
        The Keras dtype policy the model is built under, for this estimator only;
        None keeps the model's own (Keras' global policy). The network's outputs
        come back as float32; probabilities are float64 at any precision.
    input_features : list or dict or None, default=None
        For a model with several inputs: the columns of X that each input takes
        (positions, a slice, a boolean mask, or names when X is a DataFrame, as
        ``WideDeepRegressor``'s ``wide_features``), as a list by input position or a
        dict by input name, e.g. ``[[0, 1, 2, 3, 4], [2, 3, 4, 5, 6, 7]]``. X stays
        one table, so searches, pipelines and cross-validation work; the split is a
        parameter like any other. None: X is one table for one input, or a tuple,
        list or dict of arrays (one per input, outside scikit-learn's tools).
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes, multiplied into the sample weights.
    **kwargs
        Build-function arguments and routed parameters.

    Attributes
    ----------
    model_ : keras.Model
        The trained Keras model.
    history_ : dict of lists
        Keras' per-epoch logs (``loss``, ``val_loss``, metrics ...), extended by
        ``partial_fit`` and warm-started fits.
    classes_ : ndarray of shape (n_classes,)
        The class labels.
    n_classes_ : int
        Number of classes.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit, when X has string column names.
    target_type_ : str
        ``type_of_target`` of the training target.
    n_outputs_expected_ : int
        Output units the model must have.
    current_epoch_ : int
        Epochs trained so far.
    device_ : str or list of str
        The device(s) the model was trained on (``"cpu:0"``, ``"gpu:1"`` ...).

    See Also
    --------
    KerasRegressor : the same for regression.
    skdeep.neural_network.MLPClassifier : a ready-made network with scikit-learn's
        parameters.

    Examples
    --------
    >>> import keras
    >>> from sklearn.datasets import load_iris
    >>> from skdeep.wrappers import KerasClassifier
    >>> def build(meta, n_hidden=16):
    ...     return keras.Sequential([
    ...         keras.Input((meta["n_features_in_"],)),
    ...         keras.layers.Dense(n_hidden, activation="relu"),
    ...         keras.layers.Dense(meta["n_classes_"], activation="softmax"),
    ...     ])
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = KerasClassifier(build, optimizer="adam", optimizer__learning_rate=0.05,
    ...                       epochs=30, random_state=0).fit(X, y)
    >>> clf.predict(X[:3]).shape
    (3,)
    >>> clf.score(X, y) > 0.8
    True
    """

    _parameter_constraints: dict = {
        **BaseWrapper._parameter_constraints,
        "class_weight": [dict, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        model=None,
        *,
        warm_start=False,
        random_state=None,
        optimizer="rmsprop",
        loss=None,
        metrics=None,
        batch_size=None,
        validation_batch_size=None,
        verbose=0,
        callbacks=None,
        validation_split=0.0,
        shuffle=True,
        run_eagerly=False,
        epochs="auto",
        jit_compile="auto",
        device="auto",
        precision=None,
        input_features=None,
        class_weight=None,
        **kwargs,
    ):
        super().__init__(
            model,
            warm_start=warm_start,
            random_state=random_state,
            optimizer=optimizer,
            loss=loss,
            metrics=metrics,
            batch_size=batch_size,
            validation_batch_size=validation_batch_size,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            shuffle=shuffle,
            run_eagerly=run_eagerly,
            epochs=epochs,
            jit_compile=jit_compile,
            device=device,
            precision=precision,
            input_features=input_features,
            **kwargs,
        )
        self.class_weight = class_weight

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None, classes=None, sample_weight=None, **kwargs):
        """Train one epoch on ``(X, y)``, building the model at the first call.

        ``classes`` lists every class the later calls may bring (needed at the first
        call when a batch may not hold them all).
        """
        first = not hasattr(self, "model_")
        self._partial_classes = classes if first else None
        kwargs.setdefault("epochs", 1)
        return self._fit(X, y, sample_weight, kwargs, reset=first)

    def predict_proba(self, X, mc_samples=None, return_std=False, **kwargs):
        """Class probabilities, shape (n_samples, n_classes), of the model's main
        (first) output.

        ``mc_samples=N`` averages N predictions made in training mode (Monte Carlo
        dropout: dropout layers stay active; batch normalization then uses the
        batch's statistics), drawn from ``random_state`` (an int gives the same
        draws at every call; the model and Keras' global state stay unchanged).
        ``return_std=True`` also returns the per-class standard deviation of the
        draws.

        A classifier fitted on a single class (as scikeras allows) predicts it with
        probability 1: one column of ones.
        """
        if return_std and mc_samples is None:
            raise ValueError("return_std=True needs mc_samples (the draws' spread).")
        raw = self._raw_predict(X, mc_samples=mc_samples, **kwargs)
        if mc_samples is None:
            return self._proba(self.target_, raw)
        draws = np.stack([self._proba(self.target_, draw) for draw in raw])
        mean = draws.mean(axis=0)
        return (mean, draws.std(axis=0)) if return_std else mean

    def predict(self, X, outputs="main", mc_samples=None, **kwargs):
        """Predicted class labels (the format of the training target).

        A model with several outputs predicts its main (first) output;
        ``outputs="all"`` returns a list with every output's predictions.
        ``mc_samples=N``: the labels of the mean of N Monte Carlo dropout draws
        (see ``predict_proba``).
        """
        if outputs == "all":
            raws = self._raw_predict(
                X, all_outputs=True, mc_samples=mc_samples, **kwargs
            )
            out = []
            for target, raw in zip(self._all_targets(), raws):
                if mc_samples is None:
                    proba = self._proba(target, raw)
                else:
                    proba = np.mean([self._proba(target, d) for d in raw], axis=0)
                out.append(target.decode(proba))
            return out
        proba = self.predict_proba(X, mc_samples=mc_samples, **kwargs)
        return self.target_.decode(proba)

    def _proba(self, target, raw):
        proba = target.proba(raw)
        if not target.multilabel and half_precision_outputs(self.model_):
            # a softmax computed in float16 sums to 1 only within ~1e-3
            proba /= proba.sum(axis=1, keepdims=True)
        return proba

    # ------------------------------------------------------------ hooks

    @staticmethod
    def _target_class():
        return ClassifierTarget

    def _default_loss(self, width):
        return self.target_.default_loss(width)

    def _validate_y(self, y):
        y = np.asarray(y) if not hasattr(y, "iloc") else y.to_numpy()
        if y.ndim == 2 and y.shape[1] == 1:
            warnings.warn(
                "A column-vector y was passed when a 1d array was expected. Please "
                "change the shape of y to (n_samples, ), for example using ravel().",
                DataConversionWarning,
                stacklevel=4,
            )
            y = column_or_1d(y)
        return y

    def _validate_training_data(self, X, y, *, reset):
        X, y = validate_data(
            self,
            X,
            y,
            reset=reset,
            dtype="numeric",
            allow_nd=True,
            multi_output=True,
            y_numeric=False,
        )
        return X, self._validate_y(y)

    def _stream_classes(self, classes, first_y):
        if classes is None:  # partial_fit(stream, y=None, classes=...)
            classes = getattr(self, "_partial_classes", None)
        first_y = np.asarray(first_y)
        if classes is None and first_y.ndim == 1:
            raise ValueError(
                "KerasClassifier.fit on streamed batches needs classes=[...], every "
                "label the batches hold: the first batch cannot tell them all (as "
                "partial_fit). One-hot or multilabel rows need no classes."
            )
        self._partial_classes = classes

    def _make_target(self, y):
        classes = getattr(self, "_partial_classes", None)
        # a single class fits, as in scikeras (see predict_proba)
        target = ClassifierTarget(y, classes=classes)
        self.classes_ = target.classes_
        self.n_classes_ = len(target.classes_)
        return target

    def _check_labels(self, y):
        self.target_.check_labels(y)

    def _meta(self, X, target):
        return {
            **super()._meta(X, target),
            "classes_": target.classes_,
            "n_classes_": len(target.classes_),
        }

    def _apply_class_weight(self, sample_weight, y, class_weight):
        index = self.target_.class_indices(y)
        if index is None:
            raise ValueError(
                "class_weight is not supported for multilabel targets; pass "
                "sample_weight instead."
            )
        if isinstance(class_weight, dict):
            # keys are labels (scikit-learn) or class indices (Keras) when labels
            # are not integers
            by_label = {
                self._class_index(label): w for label, w in class_weight.items()
            }
            weights = np.array(
                [by_label.get(i, 1.0) for i in range(len(self.classes_))]
            )[index]
        else:
            weights = compute_sample_weight(class_weight, index)
        if sample_weight is None:
            return weights.astype(float)
        return sample_weight * weights

    def _class_index(self, label):
        matches = np.flatnonzero(self.classes_ == label)
        if matches.size:
            return int(matches[0])
        raise ValueError(
            f"class_weight has the label {label!r}, which is not among the classes "
            f"{self.classes_}."
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = True
        return tags
