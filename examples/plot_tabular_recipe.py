"""
=====================================================
A tabular network that is good without tuning
=====================================================

:class:`~skdeep.neural_network.TabularMLPRegressor` carries the recipe of RealMLP
(Holzmüller et al. 2024, "Better by Default") in its defaults: robust scaling with
smooth clipping, periodic feature embeddings, the NTK parametrisation with a
data-dependent initialisation, scheduled dropout and weight decay, and a cyclic
learning rate. This example fits it with its defaults on California housing (diabetes
when scikit-learn has no copy of it), next to gradient boosting and
:class:`~skdeep.neural_network.MLPRegressor` after a ``StandardScaler``, then switches
two of its techniques off, one at a time, to show what each one adds.

It trains on the book's full training set (15,480 rows; the recipe needs the rows:
on a draw of 4,000 gradient boosting wins). The full comparison (3 seeds, every
technique, the classification tables) is ``benchmarks/tabular.py``.
"""

import warnings

import matplotlib.pyplot as plt
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import fetch_california_housing, load_diabetes
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import MLPRegressor, TabularMLPRegressor

try:
    X, y = fetch_california_housing(return_X_y=True, download_if_missing=False)
    name = "California housing"
except OSError:
    X, y = load_diabetes(return_X_y=True)
    name = "diabetes"
X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=42)

models = {
    "TabularMLPRegressor()": TabularMLPRegressor(random_state=0),
    "  periodic_embedding=False": TabularMLPRegressor(
        periodic_embedding=False, random_state=0
    ),
    "  smooth_clip=False": TabularMLPRegressor(smooth_clip=False, random_state=0),
    "HistGradientBoostingRegressor()": HistGradientBoostingRegressor(random_state=0),
    "MLPRegressor() + scalers": TransformedTargetRegressor(
        make_pipeline(StandardScaler(), MLPRegressor(random_state=0)),
        transformer=StandardScaler(),
    ),
}
# MLPRegressor keeps scikit-learn's defaults, which stop at max_iter=200 here
warnings.filterwarnings("ignore", category=ConvergenceWarning)
errors = {}
for label, model in models.items():
    model.fit(X_train, y_train)
    errors[label] = mean_squared_error(y_test, model.predict(X_test))
    print(f"{label:34s} test MSE {errors[label]:.4f}")

# %%
# Each bar is one model's test error; the indented ones are the recipe with one
# technique switched off.

fig, ax = plt.subplots(figsize=(7.5, 4.2), layout="constrained")
labels = list(errors)
colors = [
    "C0" if i == 0 else ("C9" if label.startswith("  ") else "C7")
    for i, label in enumerate(labels)
]
ax.barh(labels[::-1], [errors[label] for label in labels][::-1], color=colors[::-1])
ax.set_xlabel("test mean squared error (lower is better)")
ax.set_ylabel("model (indented: the recipe with one technique off)")
ax.set_title(
    f"{name}: test error of the tabular recipe\nand of the anchors "
    f"({len(y_train)} training rows)"
)
plt.show()
