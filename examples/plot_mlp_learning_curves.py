"""
======================================
Learning curves of an MLP (fig. 10-12)
======================================

:class:`~skdeep.neural_network.MLPClassifier` records the training loss of every epoch
in ``loss_curve_`` and, with ``early_stopping=True``, the accuracy on the held-out
``validation_fraction`` in ``validation_scores_``: the two curves of the book's
figure 10-12, here on scikit-learn's digits. Training stops when the validation score
has not improved for ``n_iter_no_change`` epochs, and the weights of the best epoch
are restored (the dotted line).

The validation accuracy is measured on the 20 % of the training rows early stopping
holds out; the test accuracy printed below (and drawn as the dashed line) on the
separate test set: two different sets of rows, so the two numbers differ a little.
"""

import math

import matplotlib.pyplot as plt
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import MLPClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
scaler = StandardScaler().fit(X_train)

mlp = MLPClassifier(
    hidden_layer_sizes=(100, 100),
    early_stopping=True,
    validation_fraction=0.2,
    n_iter_no_change=20,
    max_iter=300,
    random_state=0,
).fit(scaler.transform(X_train), y_train)
print(f"epochs run: {mlp.n_iter_}")
print(f"best validation accuracy: {mlp.best_validation_score_:.3f}")
test_accuracy = mlp.score(scaler.transform(X_test), y_test)
print(f"test accuracy: {test_accuracy:.3f}")

# %%
# The training loss keeps falling while the validation accuracy levels off: past
# that point the network fits the training set better without generalising better.
best_epoch = max(range(mlp.n_iter_), key=mlp.validation_scores_.__getitem__) + 1
epochs = range(1, mlp.n_iter_ + 1)
n_validation = math.ceil(0.2 * len(X_train))  # as train_test_split rounds
fig, ax = plt.subplots(figsize=(7, 5.4), layout="constrained")
ax.plot(epochs, mlp.loss_curve_, label="training loss (log loss, left axis)")
ax.set_xlabel("epoch")
ax.set_ylabel("training loss (log loss)")
right = ax.twinx()
right.plot(
    epochs,
    mlp.validation_scores_,
    color="C1",
    label=f"validation accuracy on the {n_validation} held-out rows (right axis)",
)
right.axhline(
    test_accuracy,
    color="C2",
    linestyle="--",
    label=f"test accuracy {test_accuracy:.3f} ({len(y_test)} test rows)",
)
right.set_ylabel("accuracy")
ax.axvline(best_epoch, color="k", linestyle=":", label=f"best epoch ({best_epoch})")
lines = ax.get_lines() + right.get_lines()
fig.legend(
    lines, [line.get_label() for line in lines], loc="outside lower center", ncols=1
)
ax.grid(alpha=0.3)
ax.set_title("MLPClassifier on digits: training loss and validation accuracy")
plt.show()
