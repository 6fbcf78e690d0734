"""
=============================================================
Learning-rate schedules and the learning-rate finder (ch. 11)
=============================================================

:func:`~skdeep.neural_network.find_learning_rate` trains a copy of an estimator for
one pass with the rate growing exponentially and records the loss of each step; the
loss falls, flattens, then shoots up once the rate is too high. A tenth of the rate
at the lowest loss is a good starting point (the book's rule of thumb), and the peak
of the ``"1cycle"`` schedule can sit near the bottom of the curve.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import MLPClassifier, find_learning_rate

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)

base = MLPClassifier(
    hidden_layer_sizes=(64,), solver="sgd", batch_size=16, random_state=0
)
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
finder = find_learning_rate(base, X_train, y_train, min_rate=1e-4, max_rate=10, ax=ax)
ax.set_title("Learning-rate finder: SGD on digits, one pass")
print(f"suggested learning rate: {finder.suggested_rate:.3g}")
plt.show()

# %%
# Each schedule is a parameter (``learning_rate``), searchable like any other; the
# rate each epoch used (the mean over its steps) is in ``history_["learning_rate"]``.
# 1cycle rises to ``max_learning_rate`` half way, comes back down, then drops to a
# thousandth of ``learning_rate_init`` over the last tenth of the steps (and SGD's
# momentum moves the other way).
schedules = {
    "constant": {},
    "invscaling": {"power_t": 0.25},
    "exponential": {"decay_rate": 0.05},
    "piecewise": {
        "piecewise_boundaries": [10, 20],
        "piecewise_values": [finder.suggested_rate * 3, finder.suggested_rate, 1e-3],
    },
    "1cycle": {"max_learning_rate": finder.suggested_rate * 3},
}
fig, (left, right) = plt.subplots(1, 2, figsize=(10, 5.2), layout="constrained")
for name, params in schedules.items():
    mlp = clone(base).set_params(
        learning_rate=name,
        learning_rate_init=finder.suggested_rate / 3,
        max_iter=30,
        n_iter_no_change=30,
        **params,
    )
    with warnings.catch_warnings():  # 30 epochs on purpose, converged or not
        warnings.simplefilter("ignore", ConvergenceWarning)
        mlp.fit(X_train, y_train)
    epochs = range(1, mlp.n_iter_ + 1)
    left.plot(epochs, mlp.history_["learning_rate"], label=name)
    right.plot(
        epochs, mlp.loss_curve_, label=f"{name}: test {mlp.score(X_test, y_test):.3f}"
    )
left.set(
    xlabel="epoch",
    ylabel="learning rate",
    yscale="log",
    title="learning rate per epoch",
)
right.set(
    xlabel="epoch",
    ylabel="training loss (log loss)",
    yscale="log",
    title="training loss (legend: test accuracy)",
)
for panel in (left, right):  # below the panels, where they cover no curve
    panel.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncols=2, fontsize=8)
plt.show()
