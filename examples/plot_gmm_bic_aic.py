"""
=================================
BIC and AIC against k (fig. 9-21)
=================================

With ``n_components="bic"`` or ``"aic"``,
:class:`~skdeep.anomaly.GaussianMixtureAnomalyDetector` fits a mixture for every
count in ``n_components_range`` and keeps the one with the lowest criterion. The
values are kept in ``criterion_values_``, so the book's figure 9-21 is one plot.

``n_init=3`` matters here: with a single initialisation EM settles, for k=3, in a
poor local optimum (one component shared by two blobs), its BIC is worse than that
of k=4, and the criterion picks 4. A criterion compares fits, so each fit must be
good: give EM several starts when choosing k.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

from skdeep.anomaly import GaussianMixtureAnomalyDetector

X1, _ = make_blobs(n_samples=1000, centers=((4, -4), (0, 0)), random_state=42)
X1 = X1.dot(np.array([[0.374, 0.95], [0.732, 0.598]]))
X2, _ = make_blobs(n_samples=250, centers=1, random_state=42)
X = np.r_[X1, X2 + [6, -8]]

# %%
# Both criteria fall steeply up to three components (the three blobs), then rise
# with the number of parameters; BIC penalises parameters more than AIC.
fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
for criterion, marker, offset in [("bic", "o", (10, 70)), ("aic", "s", (60, -30))]:
    det = GaussianMixtureAnomalyDetector(
        n_components=criterion,
        n_components_range=range(1, 8),
        n_init=3,
        random_state=42,
    ).fit(X)
    ks, values = det.n_components_candidates_, det.criterion_values_
    ax.plot(ks, values, marker=marker, label=criterion.upper())
    ax.annotate(
        f"{criterion.upper()} picks k={det.n_components_}",
        (det.n_components_, values[list(ks).index(det.n_components_)]),
        xytext=offset,
        textcoords="offset points",
        arrowprops={"arrowstyle": "->"},
    )
    print(f"{criterion.upper()}: k = {det.n_components_}")
ax.set_ylim(bottom=ax.get_ylim()[0] - 250)  # room for the AIC label below
ax.set_xlabel("number of components k")
ax.set_ylabel("criterion (lower is better)")
ax.set_title("BIC and AIC of a Gaussian mixture against its number of components")
ax.grid(alpha=0.3)
ax.legend()
plt.show()
