"""What one call of ``fit_model`` asks for: data-independent training settings."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrainingSpec:
    """Training settings, with Keras ``fit``'s names and meanings.

    ``callbacks`` must already be fresh objects for this fit (the engine attaches them
    to the model). ``seed`` drives the per-epoch shuffles of the fast loops.
    ``steps_per_epoch`` and ``validation_steps`` apply to streamed data (generators,
    ``PyDataset``, ``tf.data``), which ``model.fit`` trains on.
    """

    epochs: int = 1
    batch_size: int = 32
    shuffle: bool = True
    validation_split: float = 0.0
    validation_batch_size: int | None = None
    validation_freq: int = 1
    initial_epoch: int = 0
    steps_per_epoch: int | None = None
    validation_steps: int | None = None
    callbacks: tuple = field(default_factory=tuple)
    verbose: int = 0
    seed: int = 0
