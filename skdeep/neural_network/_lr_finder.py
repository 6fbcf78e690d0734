"""The learning-rate finder: grow the rate exponentially over one pass and watch
the loss (Smith 2015; Hands-On ML ch. 11)."""

import copy
import warnings

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.utils import Bunch
from sklearn.utils.multiclass import type_of_target, unique_labels

from skdeep.utils._random import local_random_state


def find_learning_rate(
    estimator,
    X,
    y,
    *,
    min_rate=1e-5,
    max_rate=10.0,
    stop_factor=4.0,
    plot=True,
    ax=None,
):
    """Find a good initial learning rate for a built-in network.

    A fresh copy of ``estimator`` (``sklearn.base.clone``: the estimator itself and
    any fitted state stay untouched) trains for one pass over ``X, y``, one
    minibatch of ``batch_size`` at a time, with the learning rate growing
    exponentially from ``min_rate`` to ``max_rate``; the loss of each step is
    recorded. The pass stops early once the loss exceeds ``stop_factor`` times the
    lowest loss seen (or diverges). The suggested rate is a tenth of the rate at the
    lowest smoothed loss, the rule of thumb of Hands-On ML (ch. 11).

    Parameters
    ----------
    estimator : MLPClassifier, MLPRegressor or WideDeepRegressor
        The configuration to probe; its solver and network are used, its
        ``learning_rate`` schedule, early stopping, callbacks, checkpoints and
        TensorBoard logging are not.

    X : array-like of shape (n_samples, n_features)
        Training data; shuffled with the estimator's ``random_state``.

    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.

    min_rate, max_rate : float, default=1e-5, 10.0
        The rates of the first and the last step.

    stop_factor : float, default=4.0
        Stop once a step's loss exceeds ``stop_factor`` times the lowest one.

    plot : bool, default=True
        Plot the loss against the rate (log scale) when matplotlib is installed.

    ax : matplotlib Axes, default=None
        Where to plot; a new figure when None.

    Returns
    -------
    result : sklearn.utils.Bunch
        ``rates`` and ``losses`` (one per step run), ``suggested_rate`` and ``ax``
        (the Axes plotted on, or None).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from skdeep.neural_network import MLPClassifier, find_learning_rate
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), batch_size=8, random_state=0)
    >>> result = find_learning_rate(clf, X, y, plot=False)
    >>> len(result.rates) == len(result.losses)
    True
    >>> bool(result.rates[0] < result.suggested_rate < result.rates[-1])
    True
    """
    if not 0 < min_rate < max_rate:
        raise ValueError(
            f"find_learning_rate needs 0 < min_rate < max_rate, got min_rate="
            f"{min_rate} and max_rate={max_rate}."
        )
    if stop_factor <= 1:
        raise ValueError(f"stop_factor must be greater than 1, got {stop_factor}.")
    probe = clone(estimator).set_params(
        learning_rate="constant",
        early_stopping=False,
        warm_start=False,
        callbacks=None,
        checkpoint_path=None,
        tensorboard_log_dir=None,
        verbose=0,
    )
    n = len(X) if not hasattr(X, "shape") else X.shape[0]
    batch_size = min(200, n) if probe.batch_size == "auto" else int(probe.batch_size)
    batch_size = max(1, min(batch_size, n))
    probe.set_params(batch_size=batch_size)
    # a copy: neither the estimator's RandomState nor NumPy's global one advances
    order = local_random_state(copy.deepcopy(estimator.random_state)).permutation(n)
    n_steps = max(1, n // batch_size)  # full minibatches only
    rates = np.geomspace(min_rate, max_rate, n_steps)
    fit_kwargs = {}
    if is_classifier(probe) and type_of_target(y) != "multilabel-indicator":
        fit_kwargs["classes"] = unique_labels(y)
    take = _take_rows
    losses = []
    for step, rate in enumerate(rates):
        rows = order[step * batch_size : (step + 1) * batch_size]
        if step == 0:
            probe.set_params(learning_rate_init=float(rate))
        else:
            probe._learning_rate_ = float(rate)  # partial_fit continues from it
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                probe.partial_fit(take(X, rows), take(y, rows), **fit_kwargs)
        except ValueError as exc:
            if "diverged" not in str(exc):
                raise
            break
        loss = float(probe.loss_)
        losses.append(loss)
        if loss > stop_factor * min(losses):
            break
    rates = rates[: len(losses)]
    losses = np.asarray(losses)
    suggested = (
        float(rates[int(np.argmin(_smooth(losses)))] / 10.0) if len(losses) else np.nan
    )
    result = Bunch(rates=rates, losses=losses, suggested_rate=suggested, ax=None)
    if plot:
        result.ax = _plot(result, ax)
    return result


def _take_rows(data, rows):
    if hasattr(data, "iloc"):
        return data.iloc[rows]
    return np.asarray(data)[rows]


def _smooth(losses, beta=0.7):
    """Bias-corrected exponential moving average (noisy steps, few of them)."""
    out, average = np.empty_like(losses), 0.0
    for i, loss in enumerate(losses):
        average = beta * average + (1 - beta) * loss
        out[i] = average / (1 - beta ** (i + 1))
    return out


def _plot(result, ax):
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    if ax is None:
        _, ax = plt.subplots()
    ax.semilogx(result.rates, result.losses, label="loss per step")
    if np.isfinite(result.suggested_rate):
        ax.axvline(result.suggested_rate, color="k", ls="--", label="suggested rate")
    ax.set_xlabel("learning rate")
    ax.set_ylabel("training loss")
    ax.legend()
    return ax
