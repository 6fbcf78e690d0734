"""
========================================================
DBSCANPredictor: decision map of new samples (fig. 9-15)
========================================================

DBSCAN labels only the samples it is fitted on.
:class:`~skdeep.cluster.DBSCANPredictor` trains a k-nearest-neighbours vote on the
core samples, so new samples get a cluster too, and -1 when they lie farther than
``max_distance`` (by default ``eps``) from every training sample, as in the book's
figure 9-15.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_moons

from skdeep.cluster import DBSCANPredictor

X, _ = make_moons(n_samples=1000, noise=0.05, random_state=42)
model = DBSCANPredictor(eps=0.2, min_samples=5, n_neighbors=50).fit(X)
X_new = np.array([[-0.5, 0.0], [0.0, 0.5], [1.0, -0.1], [2.0, 1.0]])
print(
    f"clusters: {len(model.classes_)}, noise in training: {(model.labels_ == -1).sum()}"
)
print(f"new samples: {model.predict(X_new)}")
print(f"their cluster probabilities:\n{model.predict_proba(X_new).round(2)}")

# %%
# Background: the cluster a new sample at that place would get; white: -1, too far
# from every training sample. Crosses: the four new samples, red when predicted -1.
xx, yy = np.meshgrid(np.linspace(-1.5, 2.5, 400), np.linspace(-1.0, 1.5, 300))
labels = model.predict(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape).astype(float)
labels[labels == -1] = np.nan
fig, ax = plt.subplots(figsize=(9, 4.5), layout="constrained")
ax.contourf(xx, yy, labels, levels=[-0.5, 0.5, 1.5], colors=["#b3cde3", "#fbb4ae"])
core = np.zeros(len(X), bool)
core[model.core_sample_indices_] = True
ax.scatter(*X[core].T, s=3, c="k", label="core samples")
ax.scatter(*X[model.labels_ == -1].T, s=20, marker="x", c="C1", label="noise")
predicted = model.predict(X_new)
colours = np.where(predicted == -1, "r", "b")
ax.scatter(*X_new.T, s=200, marker="X", c=colours, edgecolors="w", label="new samples")
for point, label in zip(X_new, predicted):
    ax.annotate(
        str(label),
        point,
        xytext=(12, 10),
        textcoords="offset points",
        fontsize=11,
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "lw": 0.5},
    )
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_title(
    "DBSCANPredictor(eps=0.2): the cluster of every point of the plane\n"
    "(blue, pink), blank where too far (-1); new samples labelled"
)
ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0, fontsize=8)
plt.show()
