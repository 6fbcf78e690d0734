"""KerasTransformer: features from a layer of a Keras model, as a transformer."""

from numbers import Integral

import numpy as np
from sklearn.base import TransformerMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from skdeep.wrappers._regressor import KerasRegressor


class KerasTransformer(TransformerMixin, KerasRegressor):
    """Feature extraction with a Keras model: ``transform`` returns the output of
    one of its layers (Keras's ``SKLearnTransformer``, with a layer to choose).

    The model trains as ``KerasRegressor`` does, on ``(X, y)``; without ``y`` it
    trains to reproduce X (an autoencoder). A model given pretrained needs no
    training: ``epochs=0`` builds it from the data without changing its weights.

    Parameters
    ----------
    model : callable or keras.Model, default=None
        A build function returning a ``keras.Model``, or a model used as given
        (a faithful copy: weights, frozen flags, optimizer).
    layer : str, int or None, default=None
        The layer whose output ``transform`` returns: its name, or its index in
        ``model_.layers``; None: the model's (main) output.
    **kwargs
        KerasRegressor's parameters (``epochs``, ``optimizer``, ``loss`` ...),
        build-function arguments and routed parameters.

    Attributes
    ----------
    model_ : keras.Model
        The trained Keras model.
    n_features_in_ : int
        Number of features seen during fit.

    See Also
    --------
    KerasRegressor : the same model as a regressor.

    Examples
    --------
    >>> import keras, numpy as np
    >>> from skdeep.wrappers import KerasTransformer
    >>> def autoencoder(meta):
    ...     n = meta["n_features_in_"]
    ...     return keras.Sequential([
    ...         keras.Input((n,)),
    ...         keras.layers.Dense(2, activation="tanh", name="code"),
    ...         keras.layers.Dense(n),
    ...     ])
    >>> X = np.random.RandomState(0).normal(size=(100, 6))
    >>> codes = KerasTransformer(autoencoder, layer="code", epochs=5,
    ...                          random_state=0).fit_transform(X)
    >>> codes.shape
    (100, 2)
    """

    _parameter_constraints: dict = {
        **KerasRegressor._parameter_constraints,
        "layer": [str, Integral, None],
    }

    # every parameter named, as scikit-learn's get_params / clone read them from
    # the signature (with **kwargs alone, a clone lost epochs, optimizer ...)
    def __init__(
        self,
        model=None,
        *,
        layer=None,
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
        self.layer = layer

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None, sample_weight=None, **kwargs):
        """Train the model on ``(X, y)``; ``y=None`` trains it to reproduce X (one
        row per sample: samples of more than one dimension are flattened, as the
        model's output has one row per sample)."""
        if y is None:
            y = X.reshape(len(X), -1) if getattr(X, "ndim", 2) > 2 else X
        reset = not (self.warm_start and hasattr(self, "model_"))
        return self._fit(X, y, sample_weight, kwargs, reset=reset)

    def _fit(self, *args, **kwargs):
        super()._fit(*args, **kwargs)
        # the layer's extractor, made at every fit (and at load) so that transform
        # changes nothing in the estimator
        self._features = (self.layer, self._feature_extractor())
        return self

    def transform(self, X):
        """The chosen layer's output for X, shape (n_samples, n_units)."""
        check_is_fitted(self, "model_")
        layer, features = self.__dict__.get("_features", (None, None))
        if features is None or layer != self.layer:
            # ``layer`` set since the fit: an extractor for this call only
            features = self._feature_extractor()
        X = self._validate_X(X, reset=False, dtype="numeric")
        X = self._in_input_order(self.model_, X)
        self._check_sample_shapes(X)
        with self._predict_placement().predicting():
            out = features(X)
        if isinstance(out, (list, tuple)):
            out = out[0]
        out = np.asarray(out)
        return out.reshape(len(out), -1)

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "model_")
        n = self.transform(np.zeros((1,) + tuple(self.X_shape_[1:]))).shape[1]
        prefix = type(self).__name__.lower()
        return np.array([f"{prefix}{i}" for i in range(n)], dtype=object)

    def _feature_extractor(self):
        import keras

        from skdeep._bridge.engine import Predictor

        if self.layer is None:
            return Predictor(self.model_)
        try:
            if isinstance(self.layer, str):
                layer = self.model_.get_layer(name=self.layer)
            else:
                layer = self.model_.layers[self.layer]
        except (ValueError, IndexError) as error:
            names = [layer.name for layer in self.model_.layers]
            raise ValueError(
                f"layer={self.layer!r} is not a layer of the model; its layers are "
                f"{names}."
            ) from error
        try:
            inputs = self.model_.inputs
            # one input as a tensor, not a list of one: the model is called so
            inputs = inputs[0] if len(inputs) == 1 else inputs
            extractor = keras.Model(inputs, layer.output)
        except (AttributeError, ValueError) as error:
            raise ValueError(
                f"Cannot read the output of layer {self.layer!r} of the "
                f"{type(self.model_).__name__} model (a subclassed model has no "
                "graph of layers): use a Sequential or Functional model, or "
                "layer=None."
            ) from error
        return Predictor(extractor)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_features", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        if "model_" in self.__dict__:
            self._features = (self.layer, self._feature_extractor())

    def __sklearn_tags__(self):
        from sklearn.utils import TransformerTags

        tags = super().__sklearn_tags__()
        # a transformer, not a regressor (the regressor's code trains it)
        tags.estimator_type = None
        tags.regressor_tags = None
        tags.transformer_tags = TransformerTags(preserves_dtype=[])
        tags.target_tags.required = False
        return tags
