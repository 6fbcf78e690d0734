"""The NumPy inference pass's program as plain data, read once from a Keras network.

``describe(model)`` walks the functional graph (``_graph.walk``) and returns what
``_inference.NumpyForward`` runs: the layers in execution order, each with its kind,
the tensors it reads and writes (numbered from 0, the inputs first), its activation
by name, its options, and the places of its weights in ``model.get_weights()``. Only
lists, dicts, strings, numbers and booleans: the built-in estimators store the plan
in their pickled state beside the weights (``_stored_network``), so that a loaded
estimator predicts in NumPy without importing Keras, and skops stores it without
any type of its own.
"""

import numpy as np

from skdeep.neural_network._graph import activation_name, walk

# the options of a layer kind the NumPy pass reads, as plain numbers
_OPTIONS = {
    "BatchNormalization": {"epsilon": float},
    "LeakyReLU": {"negative_slope": float},
    "Concatenate": {"axis": int},
}


def describe(model):
    """``(plan, weights)`` for ``model``, a network ``numpy_supported`` accepts.

    ``weights`` is ``model.get_weights()``; each step of the plan names its weights
    by their place in that list (``{"kernel": 0, "bias": 1}``).
    """
    input_ids, steps, output_ids = walk(model)
    numbers = {}

    def number(tensor):
        return numbers.setdefault(tensor, len(numbers))

    inputs = [number(t) for t in input_ids]
    place = {id(w): i for i, w in enumerate(model.weights)}
    described = []
    for step in steps:
        layer = step.layer
        kind = type(layer).__name__
        entry = {
            "kind": kind,
            "inputs": [number(t) for t in step.inputs],
            "output": number(step.output),
            "is_list": bool(step.is_list),
            "activation": (
                activation_name(layer.activation)
                if hasattr(layer, "activation")
                else None
            ),
            "weights": {w.path.rsplit("/", 1)[-1]: place[id(w)] for w in layer.weights},
        }
        for option, cast in _OPTIONS.get(kind, {}).items():
            entry[option] = cast(getattr(layer, option))
        described.append(entry)
    weights = model.get_weights()
    plan = {
        "inputs": inputs,
        "steps": described,
        "outputs": [number(t) for t in output_ids],
        "output_units": [int(t.shape[-1]) for t in model.outputs],
        "weight_shapes": [[int(n) for n in np.shape(w)] for w in weights],
    }
    return plan, weights


def fits(plan, weights):
    """Whether ``weights`` are the arrays ``plan`` was described with (their number
    and shapes)."""
    shapes = plan.get("weight_shapes") if isinstance(plan, dict) else None
    return (
        isinstance(shapes, list)
        and len(shapes) == len(weights)
        and all(list(np.shape(w)) == list(s) for w, s in zip(weights, shapes))
    )
