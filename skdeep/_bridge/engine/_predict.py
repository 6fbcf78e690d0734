"""Prediction for any Keras model without ``model.predict``'s per-call overhead.

``model.predict`` builds a data pipeline and a callback list on every call and runs
minibatches of 32; an estimator's ``predict`` is often called on one row or on many.
``Predictor`` compiles the model's own ``predict_step`` once (per backend, see below)
and runs it on large chunks.
"""

import contextlib

import numpy as np

from skdeep._bridge.engine._arrays import n_samples, take, to_floatx

_CHUNK = 8192


def _concatenate(chunks):
    first = chunks[0]
    if isinstance(first, (list, tuple)):
        return type(first)(
            _concatenate([chunk[i] for chunk in chunks]) for i in range(len(first))
        )
    if isinstance(first, dict):
        return {key: _concatenate([chunk[key] for chunk in chunks]) for key in first}
    return first if len(chunks) == 1 else np.concatenate(chunks)


def _to_numpy(outputs):
    if isinstance(outputs, (list, tuple)):
        return type(outputs)(_to_numpy(part) for part in outputs)
    if isinstance(outputs, dict):
        return {key: _to_numpy(value) for key, value in outputs.items()}
    if isinstance(outputs, np.ndarray):
        return outputs
    import keras

    return keras.ops.convert_to_numpy(outputs)  # (a GPU tensor comes to the host)


class Predictor:
    """``Predictor(model)(x)``: the model's outputs in inference mode, as NumPy.

    TensorFlow: one ``tf.function`` traced once with an unknown batch dimension
    (its concrete function is called: no look-up of a trace per call).
    JAX: one jitted stateless ``predict_step``; chunks are padded to a power of two
    rows so a handful of shapes are ever compiled. PyTorch (under ``no_grad``),
    other backends, and models that run eagerly call ``predict_step`` directly.
    """

    def __init__(self, model):
        import keras

        self.model = model
        self.backend = keras.backend.backend()
        self._function = None

    def _compiled(self):
        if self._function is not None:
            return self._function
        model = self.model
        if self.backend == "torch":
            import torch

            def run(x):
                with torch.no_grad():  # as model.predict: no autograd graph
                    return model.predict_step((x,))

            self._function = run
        elif getattr(model, "run_eagerly", False) or self.backend not in (
            "tensorflow",
            "jax",
        ):
            self._function = lambda x: model.predict_step((x,))
        elif self.backend == "tensorflow":
            import tensorflow as tf

            from skdeep._bridge.engine._tensorflow import quiet, row_specs, to_tensors

            function = quiet(
                tf.function(
                    lambda x: model.predict_step((x,)),
                    jit_compile=bool(model.jit_compile),
                )
            )
            traced = {}  # the inputs' dtypes and trailing shapes -> its trace

            def run(x):
                x = to_tensors(x)
                specs = row_specs(x)
                key = repr(specs)
                if key not in traced:  # any number of rows: traced once
                    traced[key] = function.get_concrete_function(specs)
                return traced[key](x)

            self._function = run
        else:
            import jax

            variables = model.non_trainable_variables
            # a layer that draws at inference (MC dropout) advances its seed
            # generator, as model.predict does: the next call draws anew
            seeds = [i for i, v in enumerate(variables) if _is_seed_state(v)]

            def predict(state, x):
                outputs, non_trainable = model.predict_step(state, (x,))
                return outputs, [non_trainable[i] for i in seeds]

            step = jax.jit(predict)

            def run(x):
                state = (
                    [v.value for v in model.trainable_variables],
                    [v.value for v in variables],
                )
                outputs, new_seeds = step(state, x)
                for i, value in zip(seeds, new_seeds):
                    variables[i].assign(value)
                return outputs

            self._function = run
        return self._function

    def _pad(self, chunk):
        """JAX compiles per shape: pad the rows up to a power of two."""
        n = n_samples(chunk)
        size = 1 << max(0, (n - 1).bit_length())
        if size == n:
            return chunk

        def pad(part):
            return np.concatenate([part, np.repeat(part[-1:], size - n, axis=0)])

        if isinstance(chunk, (list, tuple)):
            return type(chunk)(pad(part) for part in chunk)
        return pad(chunk)

    def __call__(self, x, batch_size=None):
        function = self._compiled()
        batch_size = int(batch_size or _CHUNK)
        n = n_samples(x)
        chunks = []
        for start in range(0, max(n, 1), batch_size):
            # converted per chunk: a memory-mapped x is never copied whole
            chunk = to_floatx(take(x, slice(start, start + batch_size)))
            rows = n_samples(chunk)
            if self.backend == "jax":
                chunk = self._pad(chunk)
            out = _to_numpy(function(chunk))
            if self.backend == "jax":
                out = _slice_outputs(out, rows)
            chunks.append(out)
        return _concatenate(chunks)


def _slice_outputs(out, rows):
    if isinstance(out, (list, tuple)):
        return type(out)(_slice_outputs(part, rows) for part in out)
    if isinstance(out, dict):
        return {key: _slice_outputs(value, rows) for key, value in out.items()}
    return out[:rows]


def _is_seed_state(variable):
    return variable.name == "seed_generator_state"


def sample_outputs(model, x, n_draws, seed, batch_size=None):
    """``n_draws`` calls of ``model`` on ``x`` in training mode (dropout active:
    Monte Carlo dropout, the book's ``model(X, training=True)``), as a list of
    NumPy outputs. The calls run in a ``keras.StatelessScope`` whose seed
    generators start from ``seed``: the draws are reproducible, and the model
    (moving statistics, seed states) and Keras' global state are left unchanged.
    """
    import keras

    rng = np.random.RandomState(seed)
    mapping = [
        (v, np.array([rng.randint(2**31 - 1), 0], dtype=v.dtype))
        for v in model.non_trainable_variables
        if _is_seed_state(v)
    ]
    batch_size = int(batch_size or _CHUNK)
    n = n_samples(x)
    samples = []
    with keras.StatelessScope(state_mapping=mapping), _torch_rng(seed):
        for _ in range(n_draws):
            chunks = []
            for start in range(0, max(n, 1), batch_size):
                chunk = to_floatx(take(x, slice(start, start + batch_size)))
                chunks.append(_to_numpy(model(chunk, training=True)))
            samples.append(_concatenate(chunks))
    return samples


@contextlib.contextmanager
def _torch_rng(seed):
    """PyTorch's Dropout without a seed draws from torch's global generator: seed a
    fork of it for the block (restored afterwards); other backends: nothing."""
    import keras

    if keras.backend.backend() != "torch":
        yield
        return
    import torch

    with torch.random.fork_rng():
        torch.manual_seed(seed)
        yield
