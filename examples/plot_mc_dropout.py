"""
=======================================================
MC dropout: a network that says how sure it is (ch. 11)
=======================================================

A network trained with dropout can keep dropout active at prediction time: each pass
drops other neurons, and the spread of many such passes (Monte Carlo dropout, Gal &
Ghahramani 2016; the book's ``MCDropout``) estimates the model's uncertainty.
``predict(X, mc_samples=N, return_std=True)`` averages ``N`` passes and returns
their standard deviation, as scikit-learn's regressors that estimate uncertainty do.

Here a regressor learns a noisy sine from samples in two separate ranges: between
and beyond them it has seen no data, and the MC-dropout band widens there.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from skdeep.neural_network import MLPRegressor

rng = np.random.RandomState(0)
X_train = np.r_[rng.uniform(-3, -1, 80), rng.uniform(1, 3, 80)].reshape(-1, 1)
y_train = np.sin(2 * X_train.ravel()) + rng.normal(scale=0.1, size=len(X_train))

reg = MLPRegressor(
    hidden_layer_sizes=(64, 64),
    activation="elu",
    dropout=0.1,
    learning_rate_init=0.01,
    max_iter=300,
    random_state=0,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ConvergenceWarning)
    reg.fit(X_train, y_train)

X_plot = np.linspace(-5, 5, 400).reshape(-1, 1)
mean, std = reg.predict(X_plot, mc_samples=100, return_std=True)

fig, ax = plt.subplots(figsize=(7, 4.2))
ax.scatter(X_train, y_train, s=8, color="0.4", label="training samples")
ax.plot(X_plot, np.sin(2 * X_plot), "k--", lw=1, label="true function")
ax.plot(X_plot, mean, color="C0", label="MC-dropout mean (100 passes)")
ax.fill_between(
    X_plot.ravel(),
    mean - 2 * std,
    mean + 2 * std,
    color="C0",
    alpha=0.25,
    label="mean ± 2 standard deviations",
)
ax.set_xlabel("x")
ax.set_ylabel("y")
ax.set_title("MLPRegressor(dropout=0.1): uncertainty grows away from the data")
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %%
# The spread is smallest where the training samples are and grows between and
# beyond them. Without ``mc_samples`` the prediction is the usual deterministic one
# (dropout off), which is also what ``score`` uses.
inside = std[(np.abs(X_plot.ravel()) > 1) & (np.abs(X_plot.ravel()) < 3)].mean()
outside = std[np.abs(X_plot.ravel()) > 3.5].mean()
print(f"mean std where the data are: {inside:.3f}; beyond them: {outside:.3f}")
