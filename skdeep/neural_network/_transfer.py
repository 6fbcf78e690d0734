"""Transfer learning (Hands-On ML, ch. 11): start a network from the lower layers of
a fitted one, frozen for the first epochs if asked.

``reuse_layers`` copies the weights once, into a plain object that is an ordinary
constructor parameter (``init_from``): ``clone`` and ``GridSearchCV`` copy it like
any other value, and the source estimator is never touched again.
"""

import re

import numpy as np

_HIDDEN = re.compile(r"^(hidden|deep)_(\d+)(_[a-z_]+)?$")
_INPUT_BN = re.compile(r"^(input|wide_input|deep_input)_bn$")


class ReusedLayers:
    """Copies of the lower layers of a fitted network (see :func:`reuse_layers`).

    Parameters
    ----------
    blocks : list of dict
        One dict per reused hidden block, bottom first: the block's layer-name
        suffix (``""`` for the Dense layer, ``"_bn"``, ``"_prelu"``...) mapped to
        the list of that layer's weight arrays.
    inputs : dict
        Input normalisation layers (``input_bn``...) mapped to their weights.
    freeze : bool
        Whether the reused layers stay frozen while the new network trains.
    """

    def __init__(self, blocks, inputs, freeze):
        self.blocks = blocks
        self.inputs = inputs
        self.freeze = freeze

    def __repr__(self):
        return (
            f"ReusedLayers(n_layers={len(self.blocks)}, freeze={self.freeze}, "
            f"input_layers={sorted(self.inputs)})"
        )

    def _targets(self, model):
        """``(layer, weights)`` pairs: the layers of ``model`` that take the copies."""
        names = {layer.name: layer for layer in model.layers}
        prefix = "hidden" if "hidden_1" in names else "deep"
        pairs = [(name, weights) for name, weights in self.inputs.items()]
        for i, block in enumerate(self.blocks, start=1):
            pairs += [(f"{prefix}_{i}{suffix}", w) for suffix, w in block.items()]
        missing = [name for name, _ in pairs if name not in names]
        if missing:
            raise ValueError(
                f"init_from reuses layers this network does not have: {missing}. The "
                "reused layers need the same activation, batch normalisation and "
                "input normalisation as in the source network, and at least as many "
                "hidden layers."
            )
        return [(names[name], weights) for name, weights in pairs]

    def apply(self, model, *, copy):
        """Copy the weights into ``model`` (when ``copy``) and freeze them there if
        ``freeze``."""
        for layer, weights in self._targets(model):
            if copy:
                shapes = [tuple(w.shape) for w in layer.get_weights()]
                given = [tuple(np.shape(w)) for w in weights]
                if shapes != given:
                    raise ValueError(
                        f"init_from's layer {layer.name!r} has weights of shapes "
                        f"{given}, but this network's are {shapes}: the reused "
                        "layers need the same number of features and the same "
                        "hidden layer sizes as in the source network."
                    )
                layer.set_weights([np.array(w) for w in weights])
            layer.trainable = not self.freeze


def reuse_layers(source, n_layers=None, *, freeze=True):
    """Reuse the lower layers of a fitted network to start a new one.

    The transfer-learning recipe of Hands-On ML (ch. 11): a network trained on a
    similar task gives the lower layers of a new network, kept frozen for a few
    epochs while the new upper layers learn, then trained together at a lower
    learning rate. Pass the result as ``init_from`` to :class:`MLPClassifier`,
    :class:`MLPRegressor` or :class:`WideDeepRegressor`: the first fit builds the
    network, copies the reused weights into its first ``n_layers`` hidden blocks
    (with their batch normalisation and learned activations, and the input
    normalisation if any), and freezes them if ``freeze``. Frozen layers keep
    their weights bit for bit (and batch normalisation its statistics).

    Parameters
    ----------
    source : MLPClassifier, MLPRegressor or WideDeepRegressor
        A fitted estimator. Its weights are copied now; it is never changed.

    n_layers : int, default=None
        Number of hidden blocks to reuse, from the bottom; None reuses them all.
        The new network needs the same number of features and the same sizes for
        these blocks.

    freeze : bool, default=True
        Keep the reused layers frozen while the new network trains.

    Returns
    -------
    reused : ReusedLayers
        Copies of the weights, to pass as ``init_from``.

    Notes
    -----
    To unfreeze after the first epochs, fit again with ``warm_start=True``, a lower
    learning rate and the same layers unfrozen::

        new = MLPClassifier((64, 32), init_from=reuse_layers(source), max_iter=4,
                            warm_start=True).fit(X, y)
        new.set_params(init_from=reuse_layers(source, freeze=False),
                       learning_rate_init=1e-4, max_iter=20).fit(X, y)

    A warm-start fit only sets which layers train (it copies nothing); a fit
    that starts a new network copies the weights again. The NumPy loop (the CPU
    default) trains around frozen layers; on a GPU they train on the general Keras
    engine (``engine_ == 'keras'``).

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from skdeep.neural_network import MLPClassifier, reuse_layers
    >>> X, y = load_digits(return_X_y=True)
    >>> X = X / 16
    >>> source = MLPClassifier((32,), max_iter=20, random_state=0).fit(
    ...     X[y < 5], y[y < 5])
    >>> new = MLPClassifier((32,), init_from=reuse_layers(source), max_iter=20,
    ...                     random_state=0).fit(X[y >= 5], y[y >= 5])
    >>> bool((new.coefs_[0] == source.coefs_[0]).all())
    True
    """
    model = getattr(source, "model_", None)
    if model is None or not hasattr(source, "_model_spec_"):
        raise ValueError(
            "reuse_layers needs a fitted MLPClassifier, MLPRegressor or "
            f"WideDeepRegressor, got {type(source).__name__}: fit it first."
        )
    blocks, inputs = {}, {}
    for layer in model.layers:
        match = _HIDDEN.match(layer.name)
        weights = [np.array(w) for w in layer.get_weights()]
        if match:
            block = blocks.setdefault(int(match.group(2)), {})
            block[match.group(3) or ""] = weights
        elif _INPUT_BN.match(layer.name):
            inputs[layer.name] = weights
    n_hidden = len(blocks)
    if n_layers is None:
        n_layers = n_hidden
    if (
        isinstance(n_layers, bool)
        or not isinstance(n_layers, int | np.integer)
        or not 1 <= n_layers <= n_hidden
    ):
        raise ValueError(
            f"n_layers must be an integer from 1 to {n_hidden} (the source's hidden "
            f"layers) or None, got {n_layers!r}."
        )
    return ReusedLayers(
        [blocks[i] for i in range(1, int(n_layers) + 1)], inputs, bool(freeze)
    )
