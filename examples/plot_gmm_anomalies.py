"""
====================================================
Gaussian mixture densities and anomalies (fig. 9-19)
====================================================

:class:`~skdeep.anomaly.GaussianMixtureAnomalyDetector` fits a Gaussian mixture
(three components, the book's choice; see the BIC/AIC example for choosing k) and
flags the samples whose log density falls below ``offset_``, here the 4th percentile
of the training densities (``contamination=0.04``), as in the book's figure 9-19.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from skdeep.anomaly import GaussianMixtureAnomalyDetector

X1, _ = make_blobs(n_samples=1000, centers=((4, -4), (0, 0)), random_state=42)
X1 = X1.dot(np.array([[0.374, 0.95], [0.732, 0.598]]))
X2, _ = make_blobs(n_samples=250, centers=1, random_state=42)
X = np.r_[X1, X2 + [6, -8]]  # the book's data: two stretched blobs and a round one

detector = GaussianMixtureAnomalyDetector(
    n_components=3, n_init=3, contamination=0.04, random_state=42
).fit(X)
flagged = detector.predict(X) == -1
print(f"flagged: {flagged.sum()} of {len(X)} samples")

# %%
# Filled contours: log density; red line: the threshold ``offset_``; red stars: the
# flagged samples; white crosses: the components' means. The legend sits below the
# map, where it covers no sample.
xx, yy = np.meshgrid(np.linspace(-4, 7, 300), np.linspace(-10, 5, 300))
density = detector.score_samples(np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
fig, ax = plt.subplots(figsize=(7, 5.8), layout="constrained")
filled = ax.contourf(xx, yy, -density, levels=np.logspace(0, 2, 12), cmap="viridis_r")
fig.colorbar(filled, ax=ax, label="minus log density")
ax.contour(
    xx,
    yy,
    density,
    levels=[detector.offset_],
    colors="r",
    linewidths=2,
    linestyles="solid",
)
ax.scatter(*X.T, s=2, c="k", alpha=0.6, label="sample")
ax.scatter(*X[flagged].T, s=60, marker="*", c="r", label="anomaly (predict == -1)")
# the mixture lives in the robustly scaled units of ``scaler_``
means = detector.scaler_.inverse_transform(detector.mixture_.means_)
ax.scatter(*means.T, s=110, marker="X", c="w", edgecolors="k", label="component mean")
threshold = plt.Line2D([], [], color="r", lw=2, label="threshold (offset_)")
ax.set_xlabel("x1")
ax.set_ylabel("x2")
ax.set_title(
    "GaussianMixtureAnomalyDetector, contamination=0.04:\n"
    "log density, threshold and the samples flagged as anomalies"
)
handles = ax.get_legend_handles_labels()[0] + [threshold]
fig.legend(handles=handles, loc="outside lower center", ncols=4, fontsize=8)
plt.show()
