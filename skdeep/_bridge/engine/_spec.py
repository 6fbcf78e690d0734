"""How a model trains: the one training specification of every engine."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrainingSpec:
    """How a model trains, for every engine; also the cache key of a compiled step.

    The first group has Keras ``fit``'s names and meanings: ``fit_model`` runs them
    for any compiled model (the wrappers' fits). ``callbacks`` must already be fresh
    objects for this fit (the engine attaches them to the model). ``seed`` drives
    the per-epoch shuffles of the fast loops. ``steps_per_epoch`` and
    ``validation_steps`` apply to streamed data (generators, ``PyDataset``,
    ``tf.data``), which ``model.fit`` trains on.

    The second group says what each step computes for the networks skdeep builds
    itself (``skdeep.neural_network``: the NumPy loop, the compiled TensorFlow loop
    and the Keras engine read it; the estimators' epoch driver, ``_epochs``, runs the
    epochs, so of the first group they set only ``batch_size`` and ``shuffle``). A
    user's compiled model leaves it at its defaults: its step is its own
    ``train_step``. ``architecture`` describes the network without its seed, so
    that equal specs share a compiled step.
    """

    # --- the loop, with Keras fit's names --------------------------------------
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

    # --- each step, for the built-in networks ------------------------------------
    architecture: str | None = None
    loss_name: str | None = None
    task: str | None = None
    # a name of ``neural_network._engine_interface.SOLVERS``, or "keras" for a user's
    # Keras optimizer (``optimizer``), which only the Keras engine trains
    solver: str | None = None
    hyper: tuple = ()
    alpha: float = 0.0
    loss_weights: tuple = ()
    dtype: str | None = None
    # options the compiled TensorFlow loop leaves to the Keras engine
    l1: float = 0.0
    clipnorm: float | None = None
    clipvalue: float | None = None
    # the hidden layers' mixed dtype policy (issue 14), and data-parallel training
    # over this many devices (the placement's)
    precision: str | None = None
    n_devices: int = 1
    # a callback acts on every step (``_callbacks.epoch_only``): Keras' fit calls it
    step_hooks: bool = False
    # a callback saves the optimizer's state (``_callbacks.saves_optimizer_state``)
    optimizer_state: bool = False
    optimizer: object = field(default=None, compare=False, hash=False)

    @property
    def hyper_dict(self):
        """The solver's constants (``_engine.solver_hyper``) as keyword arguments."""
        return dict(self.hyper)
