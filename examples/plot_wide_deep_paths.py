"""
==================================
Wide & Deep: the two paths at work
==================================

:class:`~skdeep.neural_network.WideDeepRegressor` sends ``wide_features`` straight to
the output (a linear shortcut) and ``deep_features`` through the dense stack. This
example fits, on California housing (diabetes when scikit-learn has no copy of it):

* a plain :class:`~skdeep.neural_network.MLPRegressor` (deep path only),
* a Wide & Deep network where every feature takes both paths (one input),
* the book's split: features 0-4 wide, 2-7 deep (two inputs), with an auxiliary
  output on top of the deep stack,

and compares their validation R² epoch by epoch, then the main and auxiliary outputs.
8,000 rows are drawn so that the example runs in seconds.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import fetch_california_housing, load_diabetes
from sklearn.metrics import r2_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from skdeep.neural_network import MLPRegressor, WideDeepRegressor

try:
    X, y = fetch_california_housing(return_X_y=True, download_if_missing=False)
    name = "California housing"
except OSError:
    X, y = load_diabetes(return_X_y=True)
    y = (y - y.mean()) / y.std()
    name = "diabetes"
rng = np.random.default_rng(0)
keep = rng.choice(len(X), min(len(X), 8000), replace=False)  # fast enough for docs
X_train, X_test, y_train, y_test = train_test_split(X[keep], y[keep], random_state=0)
scaler = StandardScaler().fit(X_train)
X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
n = X.shape[1]

common = dict(
    hidden_layer_sizes=(30, 30),
    early_stopping=True,
    n_iter_no_change=15,
    max_iter=300,
    random_state=0,
)
models = {
    "MLP (deep only)": MLPRegressor(**common),
    "Wide & Deep, all features both paths": WideDeepRegressor(**common),
    "Wide & Deep, book split + auxiliary": WideDeepRegressor(
        wide_features=list(range(min(5, n))),
        deep_features=list(range(max(0, n - 6), n)),
        auxiliary_output=True,
        **common,
    ),
}
for label, model in models.items():
    model.fit(X_train, y_train)
    print(
        f"{label:40s} test R² {model.score(X_test, y_test):.3f}, {model.n_iter_} epochs"
    )

# %%
# Validation R² per epoch, on the 10 % of the training rows that early stopping
# holds out (``validation_fraction=0.1``); the test R² printed above is on the
# separate test set, so the two differ a little. On California housing the three
# networks end close to each other and Wide & Deep does not beat the plain MLP (see
# the user guide's benchmark): the data has 8 dense numeric features and no sparse
# crossed features for the wide path to memorise, which is where the architecture
# earns its keep.
fig, ax = plt.subplots(figsize=(7, 5), layout="constrained")
for label, model in models.items():
    ax.plot(range(1, model.n_iter_ + 1), model.validation_scores_, label=label)
ax.set_xlabel("epoch")
ax.set_ylabel("validation R² (early-stopping rows)")
ax.set_ylim(bottom=max(-0.2, ax.get_ylim()[0]))
ax.set_title(f"{name}: validation R² per epoch")
fig.legend(loc="outside lower center", ncols=2, fontsize=8)
ax.grid(alpha=0.3)
plt.show()

# %%
# The auxiliary output sits on the deep stack alone, which sees features 2-7 only;
# the main output also sees the wide path. Its loss (weight ``auxiliary_weight``)
# pushes the deep path to be useful on its own, a regulariser.
book = models["Wide & Deep, book split + auxiliary"]
main, aux = book.predict(X_test), book.predict_auxiliary(X_test)
print(f"R² of the main output:      {r2_score(y_test, main):.3f}")
print(f"R² of the auxiliary output: {r2_score(y_test, aux):.3f}")
fig, ax = plt.subplots(figsize=(5.5, 5.6), layout="constrained")
ax.scatter(y_test, main, s=4, alpha=0.4, label="main output")
ax.scatter(y_test, aux, s=4, alpha=0.4, label="auxiliary output")
low, high = y_test.min(), y_test.max()
ax.plot([low, high], [low, high], color="k", lw=1, label="perfect prediction")
ax.set_xlabel("true target")
ax.set_ylabel("prediction")
ax.set_title("book split: main and auxiliary outputs on the test set")
fig.legend(loc="outside lower center", ncols=3, fontsize=8, markerscale=3)
plt.show()
