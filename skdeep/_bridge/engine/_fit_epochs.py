"""The epoch loop of backends without a fast loop (PyTorch): Keras' own ``fit``.

The same interface as the fast loops (``train_epoch(order)``, ``evaluate``), one
``model.fit`` call per epoch on the rows in the order given, so the built-in
networks' epoch loop runs on every backend Keras supports. Slower than the fast
loops (``fit``'s per-call set-up is paid every epoch), never different in meaning.
"""

from skdeep._bridge.engine._arrays import n_samples, take
from skdeep._bridge.engine._build import logs_to_floats


class EpochLoop:
    """Train (and evaluate) ``model`` one ``model.fit`` epoch at a time."""

    def __init__(self, model, x, y, sample_weight, batch_size):
        self.model = model
        self.batch_size = int(batch_size)
        self.n_batches = -(-n_samples(x) // self.batch_size)
        self._data = (x, y, sample_weight)

    def train_epoch(self, order):
        x, y, sample_weight = (take(part, order) for part in self._data)
        history = self.model.fit(
            x,
            y,
            sample_weight=sample_weight,
            batch_size=self.batch_size,
            epochs=1,
            shuffle=False,  # ``order`` is the shuffle
            verbose=0,
            callbacks=self.fit_callbacks(),
        )
        return {name: float(values[-1]) for name, values in history.history.items()}

    def fit_callbacks(self):
        """Callbacks of each epoch's ``model.fit`` (none: the epoch loop above calls
        the user's; a subclass may forward steps to them)."""
        return []

    def evaluate(self, x, y, sample_weight, batch_size):
        logs = self.model.evaluate(
            x,
            y,
            sample_weight=sample_weight,
            batch_size=int(batch_size),
            verbose=0,
            return_dict=True,
        )
        return logs_to_floats(logs)
