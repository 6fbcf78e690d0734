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
def _stderr_to_buffer():
    """Send file descriptor 2 to a temporary file; replay it if the body fails.

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
    if "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    with _stderr_to_buffer():
        import keras  # noqa: F401
        import tensorflow as tf

        # device discovery (cuInit, CUDA stubs) logs too: do it while quiet
        tf.config.list_physical_devices()
    import absl.logging

    absl.logging.set_verbosity(absl.logging.ERROR)
