"""A ``keras.Model`` given as ``model``: shared by clones and search folds, and
copied faithfully (weights, frozen flags, compiled loss and optimizer state) for
every fit, so the user's instance is never trained in place nor re-initialised."""

import copy
import sys

from sklearn.base import clone

from skdeep._bridge._precision import apply_precision


def clone_sharing_model(estimator):
    """scikit-learn's ``clone`` of ``estimator`` with its ``model`` shared, not
    deep-copied, when that is a ``keras.Model``: every fit trains a faithful copy of
    it and never changes it, so clones and the folds of a search all start from the
    user's model as given. None when ``model`` is not a Keras model (clone as
    usual)."""
    keras = sys.modules.get("keras")
    if keras is None or not isinstance(estimator.model, keras.Model):
        return None
    params = estimator.get_params(deep=False)
    params = {
        name: value if name == "model" else clone(value, safe=False)
        for name, value in params.items()
    }
    new = type(estimator)(**params)
    for attribute in ("_metadata_request", "_sklearn_output_config"):
        if attribute in estimator.__dict__:
            setattr(new, attribute, copy.deepcopy(estimator.__dict__[attribute]))
    return new


def copy_model_instance(model, precision=None):
    """A faithful copy of the user's ``model``: its weights, frozen flags, compiled
    loss and optimizer (with its state), so the user's instance is never trained
    in place; with ``precision``, a copy whose layers compute in that dtype policy
    (same weights; the optimizer starts afresh). Raises a ValueError naming the fix
    where no faithful copy exists."""
    import keras

    from skdeep.utils._keras_state import copy_model, custom_objects_of

    subclassed = type(model).__module__.split(".")[0] != "keras"
    if subclassed and type(model).get_config is keras.Model.get_config:
        # Keras records a subclassed model's constructor defaults, not the
        # arguments it was given, so a copy through its config can silently
        # differ from the model passed.
        raise ValueError(
            f"Cannot copy the subclassed Keras model {type(model).__name__!r} "
            "faithfully: it has no get_config(). Pass the class and its arguments "
            f"instead (model={type(model).__name__}, model__units=...), a build "
            "function, or define get_config() on the model."
        )
    copied = copy_model(model)
    if precision is None:
        return copied
    if subclassed:
        raise ValueError(
            f"precision={precision!r} cannot be applied to the subclassed model "
            f"instance {type(model).__name__!r}: pass the class and its arguments "
            "(model=..., model__units=...) or a build function instead."
        )
    with keras.saving.custom_object_scope(custom_objects_of(copied)):
        clone = apply_precision(copied, precision)
        clone.set_weights(copied.get_weights())
        if copied.compiled:
            clone.compile_from_config(copied.get_compile_config())
    return clone
