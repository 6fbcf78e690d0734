"""Walk a functional Keras model's graph once, for the interpreters that re-run it.

Two interpreters evaluate skdeep's networks outside Keras' layer machinery: the NumPy
inference pass (``_inference``) and the TensorFlow training pass (``_training``). Both
need the layers in topological order with the tensors each reads and writes; this
module computes that once. Only plain layers are interpreted (``SUPPORTED_LAYERS``);
a model with any other layer is run through Keras itself.
"""

SUPPORTED_LAYERS = {
    "InputLayer",
    "Dense",
    "BatchNormalization",
    "Activation",
    "Dropout",
    "Concatenate",
    "LeakyReLU",
}


def activation_name(fn):
    """The registered name of a Keras activation function (e.g. ``"relu"``)."""
    import keras

    name = keras.activations.serialize(fn)
    return name if isinstance(name, str) else name.get("config", name)


class Step:
    """One layer call: ``outputs[0] = layer(inputs)`` (a list when ``is_list``)."""

    __slots__ = ("layer", "inputs", "output", "is_list")

    def __init__(self, layer, inputs, output, is_list):
        self.layer = layer
        self.inputs = inputs
        self.output = output
        self.is_list = is_list


def supported(model, activations, extra_layers=()):
    """Whether every layer of ``model`` is interpretable with ``activations``.

    ``activations=None`` accepts any activation (the interpreter calls Keras' own);
    ``extra_layers`` names layer kinds one interpreter adds to ``SUPPORTED_LAYERS``.
    """
    try:
        return all(
            (
                type(layer).__name__ in SUPPORTED_LAYERS
                or type(layer).__name__ in extra_layers
            )
            and (
                activations is None
                or not hasattr(layer, "activation")
                or activation_name(layer.activation) in activations
            )
            for layer in model.layers
        )
    except (TypeError, ValueError, KeyError, AttributeError):
        return False


def walk(model):
    """``(input ids, steps, output ids)`` of a functional model, in execution order.

    Tensors are identified by ``id`` of their symbolic KerasTensor.
    """
    steps = []
    for depth in sorted(model._nodes_by_depth, reverse=True):
        for node in model._nodes_by_depth[depth]:
            if node.is_input:
                continue
            first = node.arguments.args[0]
            is_list = isinstance(first, (list, tuple))
            tensors = first if is_list else [first]
            steps.append(
                Step(
                    node.operation,
                    [id(t) for t in tensors],
                    id(node.outputs[0]),
                    is_list,
                )
            )
    return [id(t) for t in model.inputs], steps, [id(t) for t in model.outputs]


def run(walked, functions, inputs):
    """Evaluate a walked graph with one function per step; return the outputs."""
    input_ids, steps, output_ids = walked
    values = dict(zip(input_ids, inputs))
    for step, fn in zip(steps, functions):
        args = [values[i] for i in step.inputs]
        values[step.output] = fn(args) if step.is_list else fn(args[0])
    return [values[i] for i in output_ids]
