"""Silence TensorFlow's C++ start-up logging in the ``skdeep`` command's own process."""

import contextlib
import os
import sys
import tempfile

# the real standard error while fd 2 points at the buffer (see restore_stderr)
_saved_stderr = None


def restore_stderr():
    """Point file descriptor 2 back at the real standard error, if it was moved.

    Safe to call twice; the command calls it before printing "interrupted", so the
    line is seen even when Ctrl-C lands while TensorFlow's logging is held back.
    """
    global _saved_stderr
    saved, _saved_stderr = _saved_stderr, None
    if saved is not None:
        os.dup2(saved, 2)
        os.close(saved)


@contextlib.contextmanager
def _stderr_to_buffer(replay=True):
    """Send file descriptor 2 to a temporary file; replay it if the body fails
    (with ``replay``).

    TensorFlow and XLA log through absl before ``absl::InitializeLog()`` runs, and
    those lines ignore ``TF_CPP_MIN_LOG_LEVEL``, so only the descriptor itself can
    hold them back. An interruption (Ctrl-C) is not a failure: nothing is replayed.
    """
    global _saved_stderr
    sys.stderr.flush()
    with tempfile.TemporaryFile(mode="w+b") as buffer:
        _saved_stderr = os.dup(2)
        os.dup2(buffer.fileno(), 2)
        try:
            yield
        except Exception:
            sys.stderr.flush()
            restore_stderr()
            if replay:
                buffer.seek(0)
                os.write(2, buffer.read())
            raise
        finally:
            sys.stderr.flush()
            restore_stderr()


def load_tensorflow_quietly():
    """Import TensorFlow and Keras and find the devices with their logging held back.

    Only the command calls this: it owns its process. The library never changes
    the environment or logging configuration.
    """
    with tensorflow_quietly():
        import keras  # noqa: F401
        import tensorflow  # noqa: F401


@contextlib.contextmanager
def tensorflow_quietly(replay=True):
    """Hold TensorFlow's start-up logging back should the body import TensorFlow.

    For work that imports it only where needed (unpickling a model whose network
    is rebuilt at load, and not one that predicts in NumPy): a body that leaves
    TensorFlow out costs one redirection of the descriptor and a variable set in
    the command's own environment. Without ``replay``, what was held back is
    dropped when the body fails too (the caller reports the failure itself).
    """
    if "tensorflow" in sys.modules:
        yield
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_to_buffer(replay):
        yield
        tf = sys.modules.get("tensorflow")
        if tf is not None:
            # device discovery (cuInit, CUDA stubs) logs too: do it while quiet
            tf.config.list_physical_devices()
    if "tensorflow" in sys.modules:
        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
