"""The wrappers' parameters beyond the constructor's: build-function arguments
and routed parameters, for ``get_params``, ``set_params`` and ``clone``."""

import inspect

from skdeep._bridge import _routing
from skdeep.wrappers._instances import clone_sharing_model

EMPTY = inspect.Parameter.empty


def signature_params(cls):
    return set(_routing.signature_args(cls.__init__))


class ParamsMixin:
    """Parameters like the constructor's for the build function's arguments and the
    routed parameters (scikeras's ``**kwargs``), kept in ``_kwargs``."""

    def __getattr__(self, name):
        if not name.startswith("_"):
            kwargs = self.__dict__.get("_kwargs", {})
            if name in kwargs:
                return kwargs[name]
        raise AttributeError(
            f"{type(self).__name__!r} object has no attribute {name!r}"
        )

    def _build_function(self):
        if self.model is not None:
            return self.model
        # scikeras's former name of ``model`` (a parameter like the build
        # function's arguments; fit warns)
        build_fn = self.__dict__.get("_kwargs", {}).get("build_fn")
        if build_fn is not None:
            return build_fn
        return getattr(self, "_keras_build_fn", None)

    def _build_args(self):
        """``{name: default}`` of the build function's arguments that are parameters."""
        import keras

        function = self._build_function()
        if function is None or isinstance(function, keras.Model):
            return {}
        return {
            name: default
            for name, default in _routing.signature_args(function).items()
            if name not in _routing.SPECIAL_BUILD_ARGS
        }

    def _extra_params(self):
        """Parameters that are not constructor arguments (build-function arguments
        and routed parameters given so far)."""
        return dict(self.__dict__.get("_kwargs", {}))

    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self._extra_params())
        for name, default in self._build_args().items():
            if name not in params and default is not EMPTY:
                params[name] = default
        return params

    def set_params(self, **params):
        own = signature_params(type(self))
        build_args = self._build_args()
        extra = self._extra_params()
        plain = {}
        for name, value in params.items():
            if name in own:
                plain[name] = value
            elif (
                _routing.is_routed(name)
                or name in build_args
                or name in extra
                or name in _routing.KERAS_WRAPPER_DICTS
            ):
                self._kwargs[name] = value
            else:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {type(self).__name__}. "
                    f"Valid parameters are: {sorted(self.get_params(deep=False))}; "
                    "routed parameters take a prefix (model__, optimizer__, loss__, "
                    "metrics__, callbacks__, fit__, predict__)."
                )
        if plain:
            super().set_params(**plain)
        return self

    def __sklearn_clone__(self):
        """scikit-learn's ``clone``, except that a ``keras.Model`` given as ``model``
        is shared, not deep-copied (see ``_instances``)."""
        new = clone_sharing_model(self)
        return super().__sklearn_clone__() if new is None else new
