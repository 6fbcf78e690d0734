"""The built-in networks trained by the general engine (``skdeep._bridge.engine``).

The NumPy loop (``_numpy_training``) and the compiled TensorFlow loop (``_training``)
interpret a fixed set of layers on the TensorFlow backend. Everything else -- a layer
they do not know, another Keras backend, and on a GPU what only the NumPy loop
implements (a frozen layer, PReLU, ``max_norm`` ...) -- trains here: the network is
compiled with Keras losses and optimizers that mean what scikit-learn's MLP means, and
each epoch runs through the general engine's loop, which calls the model's own
``train_step``. The ``Engine`` interface of ``_engine_interface``.
"""

import numpy as np

from skdeep._bridge.engine._arrays import is_memmap
from skdeep._bridge.engine._loop import _chunk_rows, _new_loop, _train_epoch_chunked
from skdeep.neural_network._engine_interface import SOLVERS, EpochResult

# ---------------------------------------------------------------------------------
# Per-sample losses in keras.ops, with scikit-learn's MLP conventions (half squared
# error, log loss summed over labels), so ``loss_curve_`` reads the same.
# ---------------------------------------------------------------------------------


def _ops():
    from keras import ops

    return ops


def _clip(p):
    ops = _ops()
    eps = 1e-7 if p.dtype == "float32" else 1e-15
    return ops.clip(p, eps, 1 - eps)


def squared_error(y, p):
    return 0.5 * _ops().mean(_ops().square(y - p), axis=-1)


def absolute_error(y, p):
    return _ops().mean(_ops().abs(y - p), axis=-1)


def huber(y, p, delta=1.0):
    ops = _ops()
    err = ops.abs(y - p)
    quad = ops.minimum(err, delta)
    return ops.mean(0.5 * ops.square(quad) + delta * (err - quad), axis=-1)


def binary_log_loss(y, p):
    ops = _ops()
    p = _clip(p)
    return -ops.sum(y * ops.log(p) + (1 - y) * ops.log(1 - p), axis=-1)


def log_loss(y, p):
    ops = _ops()
    return -ops.sum(y * ops.log(_clip(p)), axis=-1)


def poisson(y, p):
    ops = _ops()
    p = ops.maximum(p, 1e-12)
    return ops.sum(ops.where(y > 0, y * ops.log(y / p), 0.0) - y + p, axis=-1)


LOSSES = {
    "squared_error": squared_error,
    "absolute_error": absolute_error,
    "huber": huber,
    "binary_log_loss": binary_log_loss,
    "log_loss": log_loss,
    "poisson": poisson,
}


def keras_optimizer(solver, hyper, learning_rate, **options):
    """The Keras optimizer with the update rule of skdeep's ``solver``; ``options``
    are the base optimizer's (``clipnorm``, ``clipvalue``)."""
    import keras

    return getattr(keras.optimizers, SOLVERS[solver])(
        learning_rate=learning_rate, **hyper, **options
    )


def _fast(loop_class):
    """Whether ``loop_class`` is a fast loop, which can load chunks of rows."""
    return hasattr(loop_class, "load")


def _validation_score(y, p, w, task):
    """Accuracy (subset accuracy for multilabel) or R², weighted by ``w``."""
    from sklearn.metrics import r2_score

    if not np.all(np.isfinite(p)):  # a diverged network: no score (NaN, as sklearn)
        return float("nan")
    if task == "regression":
        return float(r2_score(y, p, sample_weight=w))
    if task == "multiclass":
        correct = np.argmax(y, axis=1) == np.argmax(p, axis=1)
    else:
        correct = np.all((p > 0.5) == (y > 0.5), axis=1)
    return float(np.average(correct, weights=w))


def compile_network(model, spec):
    """Compile a built-in network with the losses and optimizer that mean what
    ``spec`` asks (scikit-learn's penalty scaling, clipping, a user's optimizer);
    returns whether the epoch loop sets the rate (False: a LearningRateSchedule of
    the user's optimizer stays in charge)."""
    import keras
    from keras.src.losses.losses import LossFunctionWrapper

    from skdeep._bridge.engine._build import compute_loss_in

    alpha, batch_size, dtype = spec.alpha, spec.batch_size, spec.dtype
    # scikit-learn's penalty 0.5 * alpha * ||W||² / batch size on every kernel,
    # and l1 * ||W||₁ / batch size with the same scaling
    l1 = float(spec.l1)
    regularizer = None
    if l1:
        regularizer = keras.regularizers.L1L2(
            l1=l1 / batch_size, l2=float(alpha) / (2.0 * batch_size)
        )
    elif alpha:
        regularizer = keras.regularizers.L2(float(alpha) / (2.0 * batch_size))
    for layer in model.layers:
        kernel = getattr(layer, "kernel", None)
        if kernel is not None and kernel.trainable:
            kernel.regularizer = regularizer
    loss = LossFunctionWrapper(LOSSES[spec.loss_name], dtype=dtype, name=spec.loss_name)
    n_outputs = len(spec.loss_weights)
    if spec.optimizer is not None:  # the user's (a fresh copy of it)
        optimizer = spec.optimizer
    else:
        clipping = {
            name: value
            for name, value in (
                ("clipnorm", spec.clipnorm),
                ("clipvalue", spec.clipvalue),
            )
            if value is not None
        }
        optimizer = keras_optimizer(spec.solver, spec.hyper_dict, 1e-3, **clipping)
    sets_rate = not isinstance(
        optimizer._learning_rate, keras.optimizers.schedules.LearningRateSchedule
    )
    # (a mixed_float16 network's optimizer is wrapped in a LossScaleOptimizer here)
    model.compile(
        optimizer=optimizer,
        loss=[loss] * n_outputs if n_outputs > 1 else loss,
        loss_weights=list(spec.loss_weights) if n_outputs > 1 else None,
        jit_compile=False,
    )
    compute_loss_in(model, dtype)  # a float64 network: a float64 total loss
    _export_standard_losses(model, spec)
    return sets_rate


# Keras losses with the gradients of skdeep's (scikit-learn's conventions): the
# loss and the factor that makes a Keras mean over the units skdeep's (None: times
# the number of units, skdeep's sums over labels), up to terms constant in the
# prediction (Poisson's deviance).
_KERAS_LOSSES = {
    "squared_error": ("MeanSquaredError", 0.5),
    "absolute_error": ("MeanAbsoluteError", 1.0),
    "huber": ("Huber", 1.0),
    "binary_log_loss": ("BinaryCrossentropy", None),
    "log_loss": ("CategoricalCrossentropy", 1.0),
    "poisson": ("Poisson", None),
}


def _export_standard_losses(model, spec):
    """Let a saved network name standard Keras losses, so that
    ``keras.models.load_model`` reads it with no ``custom_objects`` (in any
    process, without skdeep): the compile configuration Keras writes is that of
    the same optimizer and the Keras losses of ``_KERAS_LOSSES``, weighted to train
    as the network does here (the losses it trains with here are skdeep's own,
    which give ``loss_curve_`` scikit-learn's figures)."""
    import keras
    from keras.src.saving.serialization_lib import SerializableDict

    name, factor = _KERAS_LOSSES[spec.loss_name]
    weights = []
    for output, weight in zip(model.outputs, spec.loss_weights):
        units = int(output.shape[-1])
        weights.append(float(weight) * (units if factor is None else factor))
    config = dict(model._compile_config.config)
    config["loss"] = [getattr(keras.losses, name)() for _ in weights]
    config["loss_weights"] = weights
    model._compile_config = SerializableDict(**config)


class HeldWeights:
    """The state handling of the Keras engines (``KerasEngine``, the stream engine):
    the model holds the weights, a state is their list of arrays, set on the model
    only when it is not the one the model holds."""

    def initial_state(self, previous=None):
        """The model's weights, with the optimizer state ``previous`` (``write_back``'s)
        put back where it fits."""
        optimizer_variables = self.model.optimizer.variables
        if previous is not None and len(previous) == len(optimizer_variables):
            for variable, value in zip(optimizer_variables, previous):
                if tuple(variable.shape) == np.shape(value):
                    variable.assign(value)
        return self._hold()

    def write_back(self, state):
        self.model.set_weights(state)
        return [np.array(v.numpy()) for v in self.model.optimizer.variables]

    def _use(self, state):
        if state is not self._held:  # the model already holds the state it returned
            self.model.set_weights(state)

    def _hold(self):
        self._held = [np.array(w) for w in self.model.get_weights()]
        return self._held

    def _result(self, logs, score=float("nan"), val_loss=float("nan")):
        """The epoch's ``EpochResult`` from its Keras logs (the weights now held)."""
        parts = np.array(
            [value for name, value in logs.items() if name.endswith("_loss")]
        )
        return EpochResult(self._hold(), float(logs["loss"]), parts, score, val_loss)


def step_forwarder(engine):
    """A Keras callback for ``model.fit`` that passes every step to the fit's
    callbacks (``engine.step_hooks``, a ``CallbackList`` the epoch loop sets)."""
    import keras

    class Steps(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            engine.step_hooks.on_train_batch_begin(batch, logs)

        def on_train_batch_end(self, batch, logs=None):
            engine.step_hooks.on_train_batch_end(batch, logs)

    return Steps()


def _step_loop_class(engine):
    """An epoch loop of one ``model.fit`` per epoch that passes every step to the
    fit's callbacks (``step_forwarder``)."""
    from skdeep._bridge.engine._fit_epochs import EpochLoop

    class StepLoop(EpochLoop):
        def fit_callbacks(self):
            return [step_forwarder(engine)]

    return StepLoop


def _template(model, spec):
    """A private copy of the built-in network ``model``, compiled as ``spec`` says
    (the shared step's structure; its weights are never read)."""
    import keras

    template = keras.models.clone_model(model)
    compile_network(template, spec)
    return template


class KerasEngine(HeldWeights):
    """Runs a built-in network's epochs through the general Keras engine."""

    def __init__(self, model, spec, data, validation):
        import keras

        from skdeep._bridge.engine import Predictor
        from skdeep._bridge.engine._loop import epoch_loop_class

        self.model = model
        self.task = spec.task
        self.shuffle = bool(spec.shuffle)
        batch_size, dtype = spec.batch_size, spec.dtype
        X, Y, w = data
        self.n_samples = len(Y)
        self.sets_rate = compile_network(model, spec)
        self.loss_name, self.loss_weights = spec.loss_name, spec.loss_weights
        n_outputs = len(spec.loss_weights)
        inputs = X[0] if len(X) == 1 else list(X)
        targets = Y if n_outputs == 1 else [Y] * n_outputs
        weights = np.asarray(w, dtype=np.float64)
        # mean 1 (a step's scale), in the network's dtype like the losses
        weights = (weights * (len(weights) / weights.sum())).astype(dtype)
        loop_class = epoch_loop_class()
        self.forwards_steps = spec.step_hooks
        self.step_hooks = None  # the fit's CallbackList, set by the epoch loop
        if spec.step_hooks:  # Keras' fit, which calls the callbacks at every step
            loop_class = _step_loop_class(self)
        elif spec.n_devices > 1:
            # data-parallel: Keras' fit distributes the batches (the fast loops
            # run on one device)
            from skdeep._bridge.engine._fit_epochs import EpochLoop as loop_class

            if keras.backend.backend() == "jax":
                # JAX shares every batch equally between the devices: at most
                # n_devices - 1 zero-weight rows make the set divide evenly
                from skdeep._bridge._devices_jax import _pad

                inputs, targets, weights = _pad(
                    (inputs, targets, weights), spec.n_devices
                )
                self.n_samples = len(weights)
        # a memory-mapped X stays on disk: the fast loops hold a chunk of whole
        # minibatches at a time (as the wrappers' fit_model; the same steps)
        self.chunk_rows = None
        if is_memmap(inputs) and spec.n_devices == 1 and _fast(loop_class):
            self.chunk_rows = _chunk_rows(inputs, batch_size)
        self._data = (inputs, targets, weights)
        self.loop = _new_loop(
            loop_class, model, *self._data, batch_size, self.chunk_rows, np.asarray
        )
        if hasattr(self.loop, "share") and spec.optimizer is None:
            # JAX's stateless step, compiled once for every fit of this network (the
            # folds and candidates of a search): the spec fixes all it computes
            # besides the state (the loop adds the variables' shapes and flags)
            key = (spec, keras.config.floatx(), keras.config.epsilon())
            self.loop.share(key, lambda: _template(model, spec))
        self.validation = None
        if validation[0] is not None:
            X_val, Y_val, w_val = validation
            self.validation = (
                X_val[0] if len(X_val) == 1 else list(X_val),
                Y_val,
                np.asarray(w_val, dtype=np.float64),  # for scikit-learn's metrics
            )
            self.predictor = Predictor(model)

    def run_epoch(self, state, seed, learning_rate, momentum=None):
        if momentum is not None:  # pragma: no cover - the estimators route 1cycle SGD
            raise ValueError("the Keras engine cannot cycle the momentum")
        model = self.model
        self._use(state)
        model.reset_metrics()
        rng = np.random.default_rng([int(s) for s in seed])
        order = (
            rng.permutation(self.n_samples)
            if self.shuffle
            else np.arange(self.n_samples)
        )
        batch_size = self.loop.batch_size
        rates = np.broadcast_to(
            np.asarray(learning_rate, np.float64), -(-len(order) // batch_size)
        )
        # the compiled epoch reads one rate: a rate that changes within the epoch
        # (a per-step schedule) runs as one call per run of equal rates
        changes = np.flatnonzero(np.diff(rates)) + 1
        for begin, end in zip(
            np.concatenate([[0], changes]), np.concatenate([changes, [len(rates)]])
        ):
            if self.sets_rate:
                model.optimizer.learning_rate = float(rates[begin])
            part = order[begin * batch_size : end * batch_size]
            if self.chunk_rows is None:
                logs = self.loop.train_epoch(part)
            else:  # (the network's dtype, which validation gave the rows)
                logs = _train_epoch_chunked(
                    self.loop, *self._data, part, self.chunk_rows, convert=np.asarray
                )
        score = val_loss = np.nan
        if self.validation is not None:
            from skdeep.neural_network._numpy_training import validation_loss

            X_val, Y_val, w_val = self.validation
            out = self.predictor(X_val)
            outputs = list(out) if isinstance(out, (list, tuple)) else [out]
            score = _validation_score(Y_val, outputs[0], w_val, self.task)
            val_loss = validation_loss(
                self.loss_name, self.loss_weights, Y_val, outputs, w_val
            )
        return self._result(logs, score, val_loss)
