"""The bridge between scikit-learn estimators and Keras models (private).

One place for what every Keras-backed estimator needs, whoever built the network:

- ``_seeding``: ``random_state`` for code that draws from global generators (a user's
  build function, Keras layers without seeds), with every global generator restored.
- ``_routing``: scikeras-style parameter routing (``model__``, ``optimizer__``,
  ``fit__`` ...) and turning names, classes or instances of optimizers, losses,
  metrics and callbacks into fresh objects for one fit.
- ``_estimator``: ``KerasEstimator``, the base class of the wrappers and the built-in
  networks (sample-weight validation, ``history_``, tags).
- ``_targets``: target encoders (labels <-> what the network trains on, and back), for
  a user's model and for the built-in networks.
- ``_devices`` (and one module per backend), ``_precision``, ``_streams``: the
  ``device`` and ``precision`` parameters and training data streamed in batches
  (``tf.data``, ``PyDataset``, generators), for the wrappers and the built-in networks.
- ``engine``: training and prediction for any compiled ``keras.Model`` on every Keras
  backend, behind one function each (``fit_model``, ``Predictor``).
"""
