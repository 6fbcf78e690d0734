"""
===============================================
Label propagation on digits: accuracy vs labels
===============================================

How much does labelling the right samples help? With ``k`` labels,
:class:`~skdeep.semi_supervised.ClusterPropagationClassifier` clusters the training
digits into ``k`` clusters, asks for the label of each cluster's representative (the
sample nearest its centre), propagates it to the nearest 20 % of the cluster, and
trains a logistic regression on the result. The baseline trains the same logistic
regression on ``k`` digits labelled at random (book, ch. 9).
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skdeep.semi_supervised import ClusterPropagationClassifier

X, y = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, stratify=y, random_state=0)
rng = np.random.default_rng(0)

budgets = [10, 20, 50, 100]
random_acc, propagated_acc, representative_acc = [], [], []
for k in budgets:
    # baseline: k random digits (mean over 3 draws)
    scores = []
    for _ in range(3):
        rows = rng.choice(len(y_train), k, replace=False)
        while len(np.unique(y_train[rows])) < 2:
            rows = rng.choice(len(y_train), k, replace=False)
        clf = LogisticRegression(max_iter=1000).fit(X_train[rows], y_train[rows])
        scores.append(clf.score(X_test, y_test))
    random_acc.append(np.mean(scores))

    for propagation, store in [
        ("none", representative_acc),
        ("percentile", propagated_acc),
    ]:
        model = ClusterPropagationClassifier(
            LogisticRegression(max_iter=1000),
            n_clusters=k,
            propagation=propagation,
            random_state=0,
        )
        asked = model.select_representatives(X_train)  # the human labels these
        y_partial = np.full(len(y_train), -1)
        y_partial[asked] = y_train[asked]
        store.append(model.fit(X_train, y_partial).score(X_test, y_test))
    print(
        f"{k:4d} labels: random {random_acc[-1]:.3f}, representatives "
        f"{representative_acc[-1]:.3f}, + propagation {propagated_acc[-1]:.3f}"
    )

# %%
# Choosing the representatives is worth most at small budgets; propagating their
# labels to the nearest members of each cluster adds training data for free.
fig, ax = plt.subplots(figsize=(7, 4.2))
ax.plot(budgets, random_acc, "o-", label="k random labels (mean of 3)")
ax.plot(budgets, representative_acc, "s-", label="k representatives")
ax.plot(budgets, propagated_acc, "^-", label="k representatives + propagation")
ax.set_xscale("log")
ax.set_xticks(budgets, [str(k) for k in budgets])
ax.set_xlabel("number of labelled digits k")
ax.set_ylabel("test accuracy")
ax.set_title("ClusterPropagationClassifier on digits")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
