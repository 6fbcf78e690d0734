"""Streamed fits of the tabular networks (``_tabular``): ``fit`` on a
``tf.data.Dataset``, a ``keras.utils.PyDataset`` or a generator of ``(x, y)`` /
``(x, y, sample_weight)`` batches, as the other built-in networks take them
(``_streaming``).

The recipe fits its preprocessing on data: the features' quantiles, the target's
mean, spread and range, the data-dependent initialisation. On a stream these are
fitted on a sample, the stream's first batches up to ``SAMPLE_ROWS`` rows (read
without losing them: a generator's are put back); each batch is then validated,
preprocessed and encoded as it is trained on (``StreamFeed``). The learning-rate and
regularization schedules run over ``max_iter`` epochs of the stream's batches, so the
number of batches per epoch must be known.
"""

import itertools

import numpy as np

from skdeep._bridge import _streams

# rows of the stream's first batches that the preprocessing is fitted on
SAMPLE_ROWS = 4096


def check_stream_fit(estimator, y, sample_weight, steps_per_epoch):
    """The clear errors for what a streamed fit cannot take."""
    _streams.check_beside_stream(y, sample_weight)
    if estimator.keep_best is True:
        raise ValueError(
            "keep_best=True holds out validation_fraction of the training rows, and "
            f"X is {_streams.STREAM_KINDS}, which cannot be split. Set "
            "keep_best=False (or 'auto', which keeps the last epoch on a stream), "
            "or fit on arrays."
        )
    _streams.check_steps_per_epoch(steps_per_epoch)


def read_sample(stream, max_rows=SAMPLE_ROWS):
    """``(x, y, sample_weight)`` of the stream's first batches, up to ``max_rows``
    rows and at least one batch (``sample_weight`` None where no batch has one). A
    generator's batches read here are put back in front of it."""
    if stream.kind == "PyDataset":
        source = (stream.data[i] for i in range(stream.data.num_batches))
    elif stream.kind == "tf.data.Dataset":
        source = iter(stream.data)
    else:
        source = stream.data
    batches, parts, rows = [], [], 0
    for batch in source:
        batches.append(batch)
        parts.append(_streams._numpy_batch(batch))
        rows += len(parts[-1][0])
        if rows >= max_rows:
            break
    if stream.kind == "generator":
        stream.data = itertools.chain(batches, stream.data)
    x = np.concatenate([np.asarray(x) for x, _, _ in parts])
    y = np.concatenate([np.asarray(y) for _, y, _ in parts])
    if all(w is None for _, _, w in parts):
        return x, y, None
    w = np.concatenate(
        [np.ones(len(b)) if w is None else np.asarray(w) for _, b, w in parts]
    )
    return x, y, w


def epoch_count_error(stream):
    return ValueError(
        f"The {stream.kind} does not say how many batches it holds, and the "
        "learning-rate and regularization schedules run over max_iter epochs of "
        "its batches: pass steps_per_epoch to fit (batches per epoch)."
    )


def epochs_of_batches(feed, epochs, seed, shuffle):
    """One generator of ``epochs`` epochs of ``feed``'s encoded batches (Keras' fit
    reads ``feed.n_batches`` of them per epoch); it ends early where a generator
    runs out, and Keras then warns and stops."""
    from skdeep.neural_network._streaming import StreamExhausted

    rng = np.random.RandomState(seed)
    for _ in range(epochs):
        try:
            epoch = feed.epoch(rng, shuffle)
        except StreamExhausted:
            return
        if hasattr(epoch, "num_batches"):  # a PyDataset view
            yield from (epoch[i] for i in range(epoch.num_batches))
        else:
            yield from epoch
