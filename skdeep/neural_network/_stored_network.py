"""A built-in network in the estimator's pickled state, and ``model_`` built on demand.

Pickle, joblib and skops store the network as its weights (``WEIGHTS``, the
architecture follows from ``_model_spec_``) and, where the CPU predicts it in NumPy,
the plan of that pass (``PLAN``, see ``_inference_plan``), marked with the
architecture it was read from. Loading a model fitted on the CPU rebuilds the NumPy
pass from the plan and keeps the weights: ``model_`` (the Keras network) is built
from them on first use, so a loaded estimator predicts without importing TensorFlow
or Keras. Where predicting needs Keras (a GPU, a layer or precision the NumPy pass
does not run) or the plan does not match what else is stored (a file written
before plans were stored, an edited file), the network is rebuilt at load, as it
always was.
"""

import threading

import numpy as np

WEIGHTS = "_model_weights"
PLAN = "_numpy_plan"
# the device the NumPy pass runs on, as a CPU fit records it in ``device_``
_CPU = "cpu:0"
_BUILDING = threading.Lock()


def has_network(estimator):
    """Whether ``estimator`` holds a network, built or waiting in ``WEIGHTS``."""
    state = estimator.__dict__
    return "model_" in state or WEIGHTS in state


def network(estimator):
    """``model_``: the built network, or the stored one built now (once, whichever
    thread asks first)."""
    state = estimator.__dict__
    model = state.get("model_")
    if model is not None:
        return model
    with _BUILDING:
        model = state.get("model_")
        if model is not None:
            return model
        weights = state.get(WEIGHTS)
        if weights is None:
            raise AttributeError(
                f"'{type(estimator).__name__}' object has no attribute 'model_'"
            )
        model = _rebuild(estimator, weights)
        state["model_"] = model
        state.pop(WEIGHTS, None)
        state.pop(PLAN, None)
    return model


def set_network(estimator, model):
    """Assign ``model_``, forgetting any stored network it replaces."""
    state = estimator.__dict__
    state.pop(WEIGHTS, None)
    state.pop(PLAN, None)
    state["model_"] = model


def forget_network(estimator):
    """``del model_``: the built or the stored network."""
    state = estimator.__dict__
    if not has_network(estimator):
        raise AttributeError("model_")
    for key in ("model_", WEIGHTS, PLAN):
        state.pop(key, None)


def pickled(estimator, state):
    """``state`` (the instance dict) as pickled: the network as weights, and the
    NumPy pass's plan where it runs the network; the predictor left out."""
    from skdeep.neural_network._engine import numpy_runs
    from skdeep.neural_network._inference_plan import describe

    state = dict(state)
    state.pop("_predictor", None)
    model = state.pop("model_", None)
    if model is None:  # unfitted, or the stored network was never built: as loaded
        return state
    if numpy_runs(model):
        plan, weights = describe(model)
        state[PLAN] = {**plan, "network": repr(estimator._model_spec_)}
    else:
        weights = model.get_weights()
    state[WEIGHTS] = [np.asarray(w) for w in weights]
    return state


def restore(estimator, weights, plan):
    """Give an unpickled ``estimator`` its predictor, and its network now or later."""
    from skdeep.neural_network._inference import NumpyForward
    from skdeep.neural_network._inference_plan import fits

    if (
        plan is not None
        and getattr(estimator, "device_", None) == _CPU
        and isinstance(plan, dict)
        and plan.get("network") == repr(getattr(estimator, "_model_spec_", None))
        and fits(plan, weights)
    ):
        try:
            predictor = NumpyForward.from_plan(plan, weights)
        except (KeyError, IndexError, TypeError, ValueError, NotImplementedError):
            pass  # a damaged plan: the network and its pass are rebuilt below
        else:
            estimator.__dict__[WEIGHTS] = weights
            estimator.__dict__[PLAN] = plan
            estimator._predictor = predictor
            return
    set_network(estimator, _rebuild(estimator, weights))
    estimator._predictor = estimator._make_predictor()


def _rebuild(estimator, weights):
    """The Keras network of ``_model_spec_`` holding ``weights``."""
    from skdeep.neural_network._architectures import BUILDERS

    spec = getattr(estimator, "_model_spec_", None)
    try:
        name, kwargs = spec
        if name not in BUILDERS or not isinstance(kwargs, dict):
            raise ValueError(f"unknown architecture {name!r}")
        model = estimator._build_model()
        model.set_weights(weights)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"Could not rebuild the {type(estimator).__name__}'s network from the "
            f"stored architecture and weights ({exc}); the file is damaged "
            "or was written by an incompatible skdeep."
        ) from exc
    return model
