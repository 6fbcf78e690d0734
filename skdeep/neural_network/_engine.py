"""The seam between the built-in networks and the loops that train them.

The estimators (``_fitting``) describe a fit once, as a ``TrainingSpec``
(``skdeep._bridge.engine``), and hand it to one of three engines with the same
interface (``Engine``, in ``_engine_interface``, which the engines import: they never
import this module):

- ``"numpy"`` (``_numpy_training.NumpyEngine``): hand-written NumPy training of the
  plain Dense networks skdeep builds; the CPU default, faster than Keras on small
  data;
- ``"tensorflow"`` (``_training.CompiledEngine``): the same networks as one compiled
  TensorFlow function per epoch; the GPU default on the TensorFlow backend;
- ``"keras"`` (``_keras_engine.KerasEngine``): any network, on every Keras backend,
  through the general engine the wrappers use (``skdeep._bridge.engine``). What the
  other two cannot honour (a layer they do not implement, another Keras backend,
  streamed data, several devices; for the compiled loop also a frozen layer, PReLU,
  AlphaDropout, ``max_norm``, ``l1``, clipping) trains here.

Predictions go through one interface too: ``predictor(model, device)`` returns an
object with ``__call__(*inputs, check_finite=False)`` (the network's outputs) and
``labels(*inputs, check_finite=False)`` (a one-output classifier's decisions).
"""

import numpy as np

from skdeep.neural_network._engine_interface import SOLVERS

ENGINES = ("numpy", "tensorflow", "keras")

# The update rule's constants of each solver, from scikit-learn's parameter names
# (Keras' for those scikit-learn lacks: ``rho``, ``weight_decay``).
_SOLVER_HYPER = {
    "sgd": ("momentum", "nesterov"),
    "adam": ("beta_1", "beta_2", "epsilon"),
    "nadam": ("beta_1", "beta_2", "epsilon"),
    "adamax": ("beta_1", "beta_2", "epsilon"),
    "adamw": ("beta_1", "beta_2", "epsilon", "weight_decay"),
    "rmsprop": ("rho", "epsilon"),
    "adagrad": ("epsilon",),
}


def solver_hyper(
    solver,
    *,
    momentum,
    nesterovs_momentum,
    beta_1,
    beta_2,
    epsilon,
    rho=0.9,
    weight_decay=0.004,
):
    """The constants of ``solver``'s update rule, as every engine names them."""
    values = {
        "momentum": float(momentum),
        "nesterov": bool(nesterovs_momentum),
        "beta_1": float(beta_1),
        "beta_2": float(beta_2),
        "epsilon": float(epsilon),
        "rho": float(rho),
        "weight_decay": float(weight_decay),
    }
    return tuple((name, values[name]) for name in _SOLVER_HYPER[solver])


# Keras optimizer classes skdeep's own solvers reproduce, and the settings under
# which they do (anything else trains the Keras optimizer itself).
_KERAS_CLASSES = {name: solver for solver, name in SOLVERS.items()}
_PLAIN_SETTINGS = {
    "weight_decay": None,
    "clipnorm": None,
    "global_clipnorm": None,
    "clipvalue": None,
    "use_ema": False,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
    "amsgrad": False,
    "centered": False,
    "initial_accumulator_value": 0.1,
}


def keras_solver(optimizer):
    """``(solver, hyper)`` when the Keras ``optimizer`` is one of skdeep's solvers
    with a float rate and no extra (clipping, EMA, AMSGrad ...), else None: such an
    optimizer trains on every engine, the others on the Keras engine only."""
    import keras

    cls = type(optimizer)
    solver = _KERAS_CLASSES.get(cls.__name__)
    if solver is None or getattr(keras.optimizers, cls.__name__) is not cls:
        return None
    config = optimizer.get_config()
    if not isinstance(config.get("learning_rate"), float):
        return None
    for key, plain in _PLAIN_SETTINGS.items():
        if key in config and config[key] != plain:
            if not (key == "weight_decay" and solver == "adamw"):
                return None
    if solver == "rmsprop" and config.get("momentum"):
        return None
    hyper = tuple(
        (name, bool(config[name]) if name == "nesterov" else float(config[name]))
        for name in _SOLVER_HYPER[solver]
    )
    return solver, hyper


def hand_written_gaps(spec, engine):
    """The options of ``spec`` the hand-written ``engine`` ("numpy", the NumPy loop,
    or "tensorflow", the compiled loop) does not implement."""
    options = ("precision",)
    if engine == "tensorflow":
        options += ("l1", "clipnorm", "clipvalue")
    gaps = [name for name in options if getattr(spec, name)]
    if spec.step_hooks:
        gaps.append("a callback's per-step hook")
    if spec.optimizer_state:  # their optimizer state is not the network's
        gaps.append("a callback saving the optimizer's state")
    return gaps


def make_engine(name, model, spec, data, validation):
    """The engine called ``name`` (one of ``ENGINES``) for this fit."""
    if name == "numpy":
        from skdeep.neural_network._numpy_training import NumpyEngine as engine
    elif name == "tensorflow":
        from skdeep.neural_network._training import CompiledEngine as engine
    elif name == "keras":
        from skdeep.neural_network._keras_engine import KerasEngine as engine
    else:  # pragma: no cover - validated by the estimators' parameters
        raise ValueError(f"engine must be one of {ENGINES}, got {name!r}")
    gaps = [] if name == "keras" else hand_written_gaps(spec, name)
    if gaps:  # never ignore an option
        raise ValueError(
            f"engine={name!r} does not implement {', '.join(gaps)}; use engine='keras'."
        )
    return engine(model, spec, data, validation)


# ---------------------------------------------------------------- prediction


class KerasPredictor:
    """A fitted network's inference pass on any Keras backend and device, with the
    interface of ``_inference.NumpyForward`` (which the CPU uses where it can)."""

    def __init__(self, model, placement=None, batch_size=None):
        from skdeep._bridge._precision import half_precision_outputs
        from skdeep._bridge.engine import Predictor

        self._predict = Predictor(model)
        # a mixed-precision network's outputs are float32: returned as such
        self._dtype = np.float32 if _mixed(model) else np.float64
        if half_precision_outputs(model):  # pragma: no cover - builders' contract
            raise ValueError("the network's outputs must not be half precision")
        self._placement = placement  # a ``_bridge._devices.Placement`` or None
        self._batch_size = batch_size
        self._n_inputs = len(model.inputs)
        last = model.layers[-1] if len(model.outputs) == 1 else None
        activation = getattr(getattr(last, "activation", None), "__name__", None)
        self._output_activation = activation

    def __call__(self, *inputs, check_finite=False):
        # (inputs are validated finite by the caller: check_finite is NumPy's hook)
        x = list(inputs) if self._n_inputs > 1 else inputs[0]
        if self._placement is None:
            out = self._predict(x, self._batch_size)
        else:
            with self._placement.predicting():  # as the wrappers' predict
                out = self._predict(x, self._batch_size)
        if isinstance(out, (list, tuple)):
            out = [np.asarray(o, dtype=self._dtype) for o in out]
            return out[0] if len(out) == 1 else out
        return np.asarray(out, dtype=self._dtype)

    def labels(self, *inputs, check_finite=False):
        """A one-output classifier's decisions, as ``NumpyForward.labels``: the
        index of the largest softmax probability, or sigmoid outputs above 0.5."""
        proba = self(*inputs)
        if self._output_activation == "softmax":
            return np.argmax(proba, axis=1)
        if self._output_activation == "sigmoid":
            return proba > 0.5
        raise ValueError(
            "labels needs one Dense output with a softmax or sigmoid activation, "
            f"got {self._output_activation!r}."
        )


def predictor(model, placement):
    """The fastest inference pass for ``model`` on ``placement`` (a resolved
    ``device``): NumPy on the CPU for the networks it implements, the model's compiled
    ``predict_step`` otherwise."""
    from skdeep.neural_network._inference import NumpyForward

    if not placement.is_gpu and numpy_runs(model):
        return NumpyForward(model)
    return KerasPredictor(model, placement)


def numpy_runs(model):
    """Whether the NumPy pass computes ``model`` on the CPU (every layer has a NumPy
    implementation and none computes in a precision other than its weights')."""
    from skdeep.neural_network._inference import numpy_supported

    return not _mixed(model) and numpy_supported(model)


def _mixed(model):
    """Whether a layer of ``model`` computes in another dtype than its weights'
    (a mixed-precision policy), which the NumPy pass would not reproduce."""
    return any(
        layer.dtype_policy.compute_dtype != layer.dtype_policy.variable_dtype
        for layer in model.layers
    )
