"""Pickling: fitted networks as ``.keras`` bytes, targets as plain data, caches
rebuilt at load (see docs/persistence.md)."""


class PicklingMixin:
    """``__getstate__`` / ``__setstate__`` of the wrappers."""

    def __getstate__(self):
        from skdeep.utils._keras_state import keras_models_to_bytes

        state = dict(super().__getstate__())  # object.__getstate__ is not a copy
        state.pop("_predictor", None)
        state.pop("_placement", None)
        state.pop("_output_targets_cache", None)
        if "target_" in state:  # plain data: skops files need no internal type
            state["target_"] = state["target_"].state()
        if "output_targets_" in state:
            state["output_targets_"] = [t.state() for t in state["output_targets_"]]
        # networks as .keras bytes, loaded in safe mode (docs/persistence.md)
        return keras_models_to_bytes(state)

    def __setstate__(self, state):
        from skdeep.utils._keras_state import keras_models_from_bytes

        state = keras_models_from_bytes(state)
        state.setdefault("input_features", None)  # files from before the parameter
        if isinstance(state.get("target_"), dict):
            state["target_"] = self._target_class().from_state(state["target_"])
        if "output_targets_" in state:
            state["output_targets_"] = [
                self._target_class().from_state(t) for t in state["output_targets_"]
            ]
        super().__setstate__(state)
        if "model_" in state:
            from skdeep._bridge.engine import Predictor

            self._predictor = Predictor(self.model_)
