"""Training and prediction for any compiled ``keras.Model``, on every Keras backend.

The interface the estimators use is two names:

- ``fit_model(model, x, y, sample_weight, spec, validation_data=None)`` trains in
  place and returns the ``keras.callbacks.History``;
- ``Predictor(model)`` maps arrays to the model's outputs (``predict_step``, inference
  mode), with ``Predictor(model)(x, batch_size=None)``.

Keras' own ``model.fit`` is the general engine: it handles every model, data source
(generators, ``PyDataset``, ``tf.data``) and callback. For NumPy arrays on the
TensorFlow and JAX backends ``fit_model`` runs a faster loop with the same meaning:
one compiled function per epoch that calls the model's own ``train_step`` on each
minibatch (so custom train steps, ``model.losses``, constraints, loss scaling,
optimizer schedules, clipping and metrics all behave as in ``fit``), with callbacks
called per epoch. ``fast_path_refusal`` says why a fit goes to ``model.fit`` instead
(and ``_loop.logs_refusal`` for a custom step whose logs are not the model's metrics,
which ``fit`` records as they are).
A memory-mapped x, for training or validation, is converted a chunk of whole
minibatches at a time (the same batches, so the same results), never whole.
Backend code lives in ``_tensorflow`` and ``_jax``.
"""

from skdeep._bridge.engine._loop import fast_path_refusal, fit_model
from skdeep._bridge.engine._predict import Predictor
from skdeep._bridge.engine._spec import TrainingSpec

__all__ = ["Predictor", "TrainingSpec", "fast_path_refusal", "fit_model"]
