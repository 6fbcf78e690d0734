"""``skdeep tour``: every estimator in a realistic workflow on built-in data.

The tour is a list of steps (:data:`STEPS`). Each step fits one estimator the way a
scikit-learn user would, against the obvious baseline on the same split, saves the
model with joblib, reloads it and checks the reloaded model predicts the same, and
draws one figure. Add an estimator by adding a step.
"""

import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from skdeep._cli import _tour_figures as figures
from skdeep._cli._model_file import load_model, save_model
from skdeep._cli._quiet import load_tensorflow_quietly


@dataclass
class Context:
    """What every step reads: where to write, how big, which seed."""

    output: Path
    quick: bool
    random_state: int
    n_iter: int
    cache: dict = field(default_factory=dict)

    @property
    def cv(self):
        return 2 if self.quick else 3

    @property
    def max_iter(self):
        return 30 if self.quick else 200


@dataclass
class Result:
    """One row of the summary table, plus notes and the figure written."""

    data: str
    metric: str
    score: float
    baseline: str
    baseline_score: float
    fit_seconds: float
    model: object = None
    check_X: object = None
    cv_score: float = None
    summary: dict = field(default_factory=dict)
    figure: object = None
    notes: list = field(default_factory=list)


@dataclass
class Step:
    """A tour step: ``run(context) -> Result`` for ``estimator``."""

    estimator: str
    task: str
    workflow: str
    run: object


def _fit_quietly(search, X, y):
    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        # short searches stop some candidates at max_iter; expected in a tour
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return search


def _split(X, y, ctx, stratify=None):
    from sklearn.model_selection import train_test_split

    return train_test_split(
        X, y, test_size=0.25, random_state=ctx.random_state, stratify=stratify
    )


def _neural_space(prefix):
    from scipy.stats import loguniform

    return {
        f"{prefix}__hidden_layer_sizes": [(32,), (64,), (128,), (64, 32), (128, 64)],
        f"{prefix}__learning_rate_init": loguniform(3e-4, 3e-2),
        f"{prefix}__alpha": loguniform(1e-5, 1e-2),
        f"{prefix}__batch_size": [32, 64, 128],
    }


def _gap_note(name, cv, test, baseline, baseline_cv, baseline_test):
    """Explain a CV score far from the test score, with the baseline's own gap."""
    if cv is None or abs(cv - test) < 0.05:
        return []
    return [
        f"{name}: CV score {cv:.3f} vs test {test:.3f}. The CV score is the best of "
        f"the searched candidates on the training folds, so it is optimistic, and "
        f"one test split is noisy: {baseline} goes from {baseline_cv:.3f} (CV) to "
        f"{baseline_test:.3f} (test) on the same split. Read the test score against "
        "the baseline's test score."
    ]


def _validation_rows(n_rows, fraction=0.1):
    """Rows early stopping holds out of ``n_rows`` (train_test_split rounds up)."""
    import math

    return math.ceil(n_rows * fraction)


def _curve_note(name, metric, scores, n_validation, test, n_test):
    """Say why the learning curve's best validation score is not the table's score."""
    best = max(scores)
    if abs(best - test) < 0.05:
        return []
    return [
        f"{name}: the learning curve's best validation {metric} is {best:.3f} and "
        f"the table's test {metric} {test:.3f}. Both are right: the validation "
        f"score is measured on the {n_validation} training rows early stopping "
        f"holds out, the test score on {n_test} other rows, and on so few rows a "
        "score swings by a tenth or more from one draw of rows to the next (run "
        "again with another --random-state to see it move either way)."
    ]


def _mlp_classifier(ctx):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import RandomizedSearchCV, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdeep.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = _split(X, y, ctx, stratify=y)
    pipe = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            early_stopping=True, max_iter=ctx.max_iter, random_state=ctx.random_state
        ),
    )
    search = RandomizedSearchCV(
        pipe,
        _neural_space("mlpclassifier"),
        n_iter=ctx.n_iter,
        cv=ctx.cv,
        random_state=ctx.random_state,
    )
    start = time.perf_counter()
    _fit_quietly(search, X_train, y_train)
    seconds = time.perf_counter() - start
    model = search.best_estimator_
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    baseline_cv = cross_val_score(baseline, X_train, y_train, cv=ctx.cv).mean()
    baseline_test = baseline.fit(X_train, y_train).score(X_test, y_test)
    test = model.score(X_test, y_test)
    mlp = model[-1]
    n_validation = _validation_rows(len(X_train), mlp.validation_fraction)
    return Result(
        data=f"digits {X.shape[0]}x{X.shape[1]}",
        metric="accuracy",
        score=test,
        baseline="LogisticRegression",
        baseline_score=baseline_test,
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        cv_score=search.best_score_,
        summary={"best_params": {k: repr(v) for k, v in search.best_params_.items()}},
        figure=figures.learning_curves(
            ctx.output / "mlp_classifier_learning_curves.png",
            mlp.loss_curve_,
            mlp.validation_scores_,
            title="MLPClassifier",
            loss_name="training loss (log loss)",
            score_name="accuracy",
            validation=f"the {n_validation} rows early stopping holds out",
            test_score=test,
            test=f"{len(y_test)} test rows",
        ),
        notes=_gap_note(
            "MLPClassifier",
            search.best_score_,
            test,
            "LogisticRegression",
            baseline_cv,
            baseline_test,
        )
        + _curve_note(
            "MLPClassifier",
            "accuracy",
            mlp.validation_scores_,
            n_validation,
            test,
            len(y_test),
        ),
    )


def _regression_data(ctx):
    """California housing when scikit-learn finds its copy, else diabetes."""
    if "regression" in ctx.cache:
        return ctx.cache["regression"]
    import numpy as np
    from sklearn.datasets import fetch_california_housing, load_diabetes

    notes = []
    try:
        X, y = fetch_california_housing(return_X_y=True, download_if_missing=False)
        name = "California housing"
    except OSError:
        X, y = load_diabetes(return_X_y=True)
        name = "diabetes"
        notes.append(
            "California housing is not in scikit-learn's data folder, so the "
            "regression steps use diabetes (442 rows, where a linear model is hard "
            'to beat). Run `python -c "from sklearn.datasets import '
            'fetch_california_housing as f; f()"` once online, or point '
            "SCIKIT_LEARN_DATA at an offline copy."
        )
    rows = X.shape[0]
    if ctx.quick and rows > 4000:
        keep = np.random.default_rng(ctx.random_state).choice(rows, 4000, replace=False)
        X, y = X[keep], y[keep]
    ctx.cache["regression"] = (name, rows, X, y, notes)
    return ctx.cache["regression"]


def _ridge_baseline(ctx, X_train, y_train, X_test, y_test):
    from sklearn.linear_model import RidgeCV
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    ridge = make_pipeline(StandardScaler(), RidgeCV())
    ridge_cv = cross_val_score(ridge, X_train, y_train, cv=ctx.cv).mean()
    return ridge_cv, ridge.fit(X_train, y_train).score(X_test, y_test)


def _mlp_regressor(ctx):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import RandomizedSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdeep.neural_network import MLPRegressor

    name, rows, X, y, notes = _regression_data(ctx)
    X_train, X_test, y_train, y_test = _split(X, y, ctx)
    # the target is standardised too (and mapped back on predict), so one
    # learning-rate range suits any target scale
    pipe = TransformedTargetRegressor(
        make_pipeline(
            StandardScaler(),
            MLPRegressor(
                early_stopping=True,
                max_iter=ctx.max_iter,
                random_state=ctx.random_state,
            ),
        ),
        transformer=StandardScaler(),
    )
    space = {f"regressor__{k}": v for k, v in _neural_space("mlpregressor").items()}
    search = RandomizedSearchCV(
        pipe, space, n_iter=ctx.n_iter, cv=ctx.cv, random_state=ctx.random_state
    )
    start = time.perf_counter()
    _fit_quietly(search, X_train, y_train)
    seconds = time.perf_counter() - start
    model = search.best_estimator_
    ridge_cv, ridge_test = _ridge_baseline(ctx, X_train, y_train, X_test, y_test)
    test = model.score(X_test, y_test)
    ctx.cache["mlp_regressor_test"] = test
    return Result(
        data=f"{name} {rows}x{X.shape[1]}",
        metric="R²",
        score=test,
        baseline="Ridge",
        baseline_score=ridge_test,
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        cv_score=search.best_score_,
        summary={"best_params": {k: repr(v) for k, v in search.best_params_.items()}},
        figure=figures.predicted_vs_true(
            ctx.output / "mlp_regressor_predictions.png",
            y_test,
            model.predict(X_test),
            estimator="MLPRegressor",
            data=name,
            score=test,
        ),
        notes=notes
        + _gap_note(
            "MLPRegressor", search.best_score_, test, "Ridge", ridge_cv, ridge_test
        ),
    )


def _wide_deep_regressor(ctx):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from skdeep.neural_network import WideDeepRegressor

    name, rows, X, y, _ = _regression_data(ctx)
    X_train, X_test, y_train, y_test = _split(X, y, ctx)
    n = X.shape[1]
    # the book's split of the features: the first five take the short wide path,
    # the last six the deep path
    wide, deep = list(range(min(5, n))), list(range(max(0, n - 6), n))
    model = TransformedTargetRegressor(
        make_pipeline(
            StandardScaler(),
            WideDeepRegressor(
                hidden_layer_sizes=(64, 32),
                batch_size=32,
                learning_rate_init=3e-3,
                wide_features=wide,
                deep_features=deep,
                auxiliary_output=True,
                early_stopping=True,
                max_iter=ctx.max_iter,
                random_state=ctx.random_state,
            ),
        ),
        transformer=StandardScaler(),
    )
    start = time.perf_counter()
    _fit_quietly(model, X_train, y_train)
    seconds = time.perf_counter() - start
    _, ridge_test = _ridge_baseline(ctx, X_train, y_train, X_test, y_test)
    test = model.score(X_test, y_test)
    net = model.regressor_[-1]
    n_validation = _validation_rows(len(X_train), net.validation_fraction)
    notes = _curve_note(
        "WideDeepRegressor",
        "R²",
        net.validation_scores_,
        n_validation,
        test,
        len(y_test),
    )
    if "mlp_regressor_test" in ctx.cache:
        notes.append(
            f"WideDeepRegressor (fixed parameters, no search): test R² {test:.3f} "
            f"against the tuned MLPRegressor's {ctx.cache['mlp_regressor_test']:.3f}."
        )
    return Result(
        data=f"{name} {rows}x{n}",
        metric="R²",
        score=test,
        baseline="Ridge",
        baseline_score=ridge_test,
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"wide_features": wide, "deep_features": deep},
        figure=figures.learning_curves(
            ctx.output / "wide_deep_learning_curves.png",
            net.loss_curve_,
            net.validation_scores_,
            title="WideDeepRegressor",
            loss_name="training loss (squared error, standardised target)",
            score_name="R²",
            validation=f"the {n_validation} rows early stopping holds out",
            test_score=test,
            test=f"{len(y_test)} test rows",
        ),
        notes=notes,
    )


def _tabular_regressor(ctx):
    from sklearn.ensemble import HistGradientBoostingRegressor

    from skdeep.neural_network import TabularMLPRegressor

    name, rows, X, y, _ = _regression_data(ctx)
    X_train, X_test, y_train, y_test = _split(X, y, ctx)
    # its defaults, no search and no scaler: the recipe scales inputs and target
    model = TabularMLPRegressor(random_state=ctx.random_state)
    if ctx.quick:
        model.set_params(max_iter=8)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    boosting = HistGradientBoostingRegressor(random_state=ctx.random_state)
    boosting_test = boosting.fit(X_train, y_train).score(X_test, y_test)
    test = model.score(X_test, y_test)
    return Result(
        data=f"{name} {rows}x{X.shape[1]}",
        metric="R²",
        score=test,
        baseline="HistGradientBoosting",
        baseline_score=boosting_test,
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"max_iter": model.max_iter},
        figure=figures.predicted_vs_true(
            ctx.output / "tabular_regressor_predictions.png",
            y_test,
            model.predict(X_test),
            estimator="TabularMLPRegressor",
            data=name,
            score=test,
        ),
        notes=[
            f"TabularMLPRegressor with its defaults (no search, no scaler): test "
            f"R² {test:.3f} against gradient boosting's {boosting_test:.3f}."
        ],
    )


def _tabular_classifier(ctx):
    from sklearn.datasets import load_breast_cancer
    from sklearn.ensemble import HistGradientBoostingClassifier

    from skdeep.neural_network import TabularMLPClassifier

    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    X_train, X_test, y_train, y_test = _split(X, y, ctx, stratify=y)
    # a DataFrame in, its defaults, no search and no scaler
    model = TabularMLPClassifier(random_state=ctx.random_state)
    if ctx.quick:
        model.set_params(max_iter=8)
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    boosting = HistGradientBoostingClassifier(random_state=ctx.random_state)
    boosting_test = boosting.fit(X_train, y_train).score(X_test, y_test)
    test = model.score(X_test, y_test)
    history = model.history_
    return Result(
        data=f"breast cancer {X.shape[0]}x{X.shape[1]}",
        metric="accuracy",
        score=test,
        baseline="HistGradientBoosting",
        baseline_score=boosting_test,
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"best_iteration": model.best_iteration_},
        figure=figures.loss_curves(
            ctx.output / "tabular_classifier_loss.png",
            history["loss"],
            history.get("val_loss"),
            title="TabularMLPClassifier",
            loss_name="log loss (label-smoothed)",
            best=model.best_iteration_,
        ),
        notes=[
            f"TabularMLPClassifier with its defaults (no search, no scaler): test "
            f"accuracy {test:.3f} against gradient boosting's {boosting_test:.3f}; "
            + (
                f"epoch {model.best_iteration_} of {model.max_iter} had the lowest "
                "loss on the 20 % of training rows it held out, and a new network "
                "trained on every row for that many epochs (refit=True)."
                if model.validation_loss_ is not None
                else f"with {len(y_train)} training rows (under 500) it held none "
                "out and kept its last epoch."
            )
        ],
    )


def _small_cnn(meta, filters=16):
    """A convolutional network for 8x8 digits: what the built-in MLPs cannot express."""
    import keras

    return keras.Sequential(
        [
            keras.Input((meta["n_features_in_"],)),
            keras.layers.Reshape((8, 8, 1)),
            keras.layers.Conv2D(filters, 3, activation="relu", padding="same"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(meta["n_classes_"], activation="softmax"),
        ]
    )


def _keras_wrapper(ctx):
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    from skdeep.wrappers import KerasClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = _split(X, y, ctx, stratify=y)
    model = make_pipeline(
        MinMaxScaler(),
        KerasClassifier(
            _small_cnn,
            optimizer="adam",
            optimizer__learning_rate=3e-3,
            metrics=["accuracy"],
            validation_split=0.1,  # Keras's held-out curve, for the figure
            epochs=8 if ctx.quick else 30,
            batch_size=32,
            random_state=ctx.random_state,
        ),
    )
    start = time.perf_counter()
    model.fit(X_train, y_train)
    seconds = time.perf_counter() - start
    baseline = make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=1000))
    test = model.score(X_test, y_test)
    wrapper = model[-1]
    # Keras holds out the last tenth of the (shuffled) training rows
    n_validation = len(X_train) - int(len(X_train) * (1 - wrapper.validation_split))
    return Result(
        data=f"digits {X.shape[0]}x{X.shape[1]} as 8x8 images",
        metric="accuracy",
        score=test,
        baseline="LogisticRegression",
        baseline_score=baseline.fit(X_train, y_train).score(X_test, y_test),
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"network": "Conv2D(16, 3x3) + max-pooling + softmax"},
        figure=figures.learning_curves(
            ctx.output / "keras_classifier_learning_curves.png",
            wrapper.history_["loss"],
            wrapper.history_["val_accuracy"],
            title="KerasClassifier (a small CNN)",
            loss_name="training loss (cross-entropy)",
            score_name="accuracy",
            validation=f"the {n_validation} rows of validation_split=0.1",
            test_score=test,
            test=f"{len(y_test)} test rows",
            best_kept=False,
        ),
        notes=[
            "KerasClassifier: any Keras model (here a small convolutional network on "
            "the digits as 8x8 images) in a scikit-learn Pipeline, saved with joblib "
            "and reloaded like the built-in estimators."
        ],
    )


def _cluster_propagation(ctx):
    import numpy as np
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from skdeep.semi_supervised import ClusterPropagationClassifier

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = _split(X, y, ctx, stratify=y)
    n_labels = 50
    model = ClusterPropagationClassifier(
        LogisticRegression(max_iter=1000),
        n_clusters=n_labels,
        random_state=ctx.random_state,
    )
    start = time.perf_counter()
    asked = model.select_representatives(X_train)  # a human labels these 50
    y_partial = np.full(len(y_train), -1)
    y_partial[asked] = y_train[asked]
    model.fit(X_train, y_partial)
    seconds = time.perf_counter() - start
    rng = np.random.default_rng(ctx.random_state)
    random_rows = rng.choice(len(y_train), n_labels, replace=False)
    baseline = LogisticRegression(max_iter=1000).fit(
        X_train[random_rows], y_train[random_rows]
    )
    test = model.score(X_test, y_test)
    propagated = int(model.propagated_mask_.sum())
    return Result(
        data=f"digits {X.shape[0]}x{X.shape[1]}, {n_labels} labels",
        metric="accuracy",
        score=test,
        baseline=f"LogReg on {n_labels} random labels",
        baseline_score=baseline.score(X_test, y_test),
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"labels_given": n_labels, "labels_propagated": propagated},
        figure=figures.representatives(
            ctx.output / "cluster_propagation_representatives.png",
            X_train[asked],
            y_train[asked],
        ),
        notes=[
            f"ClusterPropagationClassifier: the {n_labels} labelled digits are the "
            f"cluster representatives; {propagated} more training rows got a "
            "propagated label."
        ],
    )


def _anomaly_data(ctx, n_samples):
    import numpy as np
    from sklearn.datasets import make_blobs

    X, _ = make_blobs(
        n_samples=n_samples,
        centers=[[0, 0], [5, 5], [0, 6]],
        cluster_std=[1.0, 0.8, 0.6],
        random_state=ctx.random_state,
    )
    rng = np.random.default_rng(ctx.random_state)
    n_out = n_samples // 40
    # uniform over the plane: some land inside a blob, where no density-based
    # detector can tell them apart, as in real data
    outliers = rng.uniform(-5, 10, size=(n_out, 2))
    X_all = np.vstack([X, outliers])
    is_anomaly = np.r_[np.zeros(len(X), bool), np.ones(len(outliers), bool)]
    order = rng.permutation(len(X_all))
    return X_all[order], is_anomaly[order]


def _anomaly_detector(ctx):
    from sklearn.ensemble import IsolationForest
    from sklearn.metrics import roc_auc_score

    from skdeep.anomaly import GaussianMixtureAnomalyDetector

    X, is_anomaly = _anomaly_data(ctx, 1000 if ctx.quick else 3000)
    X_train, X_test, a_train, a_test = _split(X, is_anomaly, ctx, stratify=is_anomaly)
    contamination = float(a_train.mean())
    model = GaussianMixtureAnomalyDetector(
        contamination=contamination, random_state=ctx.random_state
    )
    start = time.perf_counter()
    model.fit(X_train)  # no labels: the injected anomalies are only used to score
    seconds = time.perf_counter() - start
    auc = roc_auc_score(a_test, -model.score_samples(X_test))
    forest = IsolationForest(random_state=ctx.random_state).fit(X_train)
    forest_auc = roc_auc_score(a_test, -forest.score_samples(X_test))
    flagged = model.predict(X_test) == -1
    caught = int((flagged & a_test).sum())
    return Result(
        data=f"3 blobs {len(X)}x2, {int(is_anomaly.sum())} injected",
        metric="ROC AUC",
        score=auc,
        baseline="IsolationForest",
        baseline_score=forest_auc,
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"n_components": int(model.n_components_)},
        figure=figures.anomalies(
            ctx.output / "gmm_anomalies.png", model, X_test, a_test, flagged
        ),
        notes=[
            "GaussianMixtureAnomalyDetector averaged mixtures of "
            f"{', '.join(str(k) for k in model.n_components_candidates_)} components "
            f"({model.n_components_} in all) and flagged {int(flagged.sum())} test "
            f"points, {caught} of the {int(a_test.sum())} injected anomalies among "
            "them."
        ],
    )


def _dbscan_predictor(ctx):
    import numpy as np
    from sklearn.cluster import KMeans
    from sklearn.datasets import make_moons
    from sklearn.metrics import adjusted_rand_score

    from skdeep.cluster import DBSCANPredictor

    n = 500 if ctx.quick else 1000
    X_train, _ = make_moons(n, noise=0.05, random_state=ctx.random_state)
    X_test, y_test = make_moons(n // 2, noise=0.05, random_state=ctx.random_state + 1)
    model = DBSCANPredictor(eps=0.2, min_samples=5, n_neighbors=50)
    start = time.perf_counter()
    model.fit(X_train)
    seconds = time.perf_counter() - start
    # new points from the same moons: cluster ids are arbitrary, so compare with ARI
    ari = adjusted_rand_score(y_test, model.predict(X_test))
    kmeans = KMeans(2, n_init=10, random_state=ctx.random_state).fit(X_train)
    far = np.array([[-0.5, 1.0], [0.0, 0.1], [1.0, -0.6], [1.5, 1.0], [2.6, -0.4]])
    return Result(
        data=f"moons {n}x2, new points",
        metric="adjusted Rand",
        score=ari,
        baseline="KMeans(2)",
        baseline_score=adjusted_rand_score(y_test, kmeans.predict(X_test)),
        fit_seconds=seconds,
        model=model,
        check_X=X_test,
        summary={"n_clusters": len(model.classes_)},
        figure=figures.decision_map(ctx.output / "dbscan_decision_map.png", model, far),
        notes=[
            f"DBSCANPredictor: {len(model.classes_)} clusters, "
            f"{int((model.labels_ == -1).sum())} training points left as noise; "
            f"far points predicted as {model.predict(far).tolist()} (-1: too far "
            "from every cluster)."
        ],
    )


STEPS = [
    Step(
        "MLPClassifier",
        "classification",
        "StandardScaler + MLP, randomized search",
        _mlp_classifier,
    ),
    Step(
        "MLPRegressor",
        "regression",
        "StandardScaler + MLP (target scaled), randomized search",
        _mlp_regressor,
    ),
    Step(
        "WideDeepRegressor",
        "regression",
        "wide and deep paths, auxiliary output",
        _wide_deep_regressor,
    ),
    Step(
        "TabularMLPRegressor",
        "regression",
        "its defaults, no search: against gradient boosting",
        _tabular_regressor,
    ),
    Step(
        "TabularMLPClassifier",
        "classification",
        "a DataFrame, its defaults: against gradient boosting",
        _tabular_classifier,
    ),
    Step(
        "KerasClassifier",
        "classification",
        "your own Keras model (a small CNN) in a Pipeline",
        _keras_wrapper,
    ),
    Step(
        "ClusterPropagationClassifier",
        "semi-supervised",
        "label 50 representatives, propagate",
        _cluster_propagation,
    ),
    Step(
        "GaussianMixtureAnomalyDetector",
        "anomaly detection",
        "an ensemble of mixtures, density threshold",
        _anomaly_detector,
    ),
    Step(
        "DBSCANPredictor",
        "clustering",
        "DBSCAN, then label new points",
        _dbscan_predictor,
    ),
]


def _save_and_check(ctx, step, result):
    """Save the model, load it back, and check it predicts the same."""
    import numpy as np

    path = ctx.output / f"{step.estimator}.joblib"
    summary = {
        "estimator": step.estimator,
        "task": step.task,
        "data": f"skdeep tour: {result.data}",
        "features": None,
        "fit_seconds": round(result.fit_seconds, 3),
        "scores": {
            f"test {result.metric}": round(float(result.score), 4),
            f"{result.baseline} {result.metric}": round(
                float(result.baseline_score), 4
            ),
        },
        **result.summary,
    }
    save_model(result.model, path, summary)
    reloaded, _ = load_model(path)
    same = np.array_equal(
        result.model.predict(result.check_X), reloaded.predict(result.check_X)
    )
    return path, same


def _print_table(rows, file=None):
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns), file=file)
    print("-+-".join("-" * widths[c] for c in columns), file=file)
    for row in rows:
        print(" | ".join(str(row[c]).ljust(widths[c]) for c in columns), file=file)


def tour(args):
    """Run :data:`STEPS`, print progress, the summary table and the notes."""
    quick = args.quick
    n_iter = args.n_iter if args.n_iter is not None else (2 if quick else 6)
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    ctx = Context(output, quick, args.random_state, n_iter)
    print(
        f"skdeep tour{' --quick' if quick else ''}: {len(STEPS)} estimators on "
        f"scikit-learn's built-in or generated data; models and figures go to "
        f"{output}/",
        flush=True,
    )
    if not figures.available():
        print(
            "  (figures skipped: matplotlib is not installed; pip install matplotlib)",
            flush=True,
        )
    print("  loading TensorFlow ...", end="", flush=True)
    start = time.perf_counter()
    load_tensorflow_quietly()
    print(f" {time.perf_counter() - start:.1f} s", flush=True)

    rows, notes, below, all_same = [], [], [], True
    for i, step in enumerate(STEPS, 1):
        print(
            f"[{i}/{len(STEPS)}] {step.estimator}: {step.workflow} ...",
            end="",
            flush=True,
        )
        result = step.run(ctx)
        path, same = _save_and_check(ctx, step, result)
        all_same &= same
        print(
            f" {result.fit_seconds:.1f} s, {result.metric} {result.score:.3f}"
            f" ({result.baseline} {result.baseline_score:.3f}), saved and reloaded"
            + ("" if same else " - RELOADED MODEL PREDICTS DIFFERENTLY"),
            flush=True,
        )
        notes.extend(result.notes)
        if result.score < result.baseline_score:
            below.append(step.estimator)
        rows.append(
            {
                "estimator": step.estimator,
                "task": step.task,
                "data": result.data,
                "metric": result.metric,
                "test score": f"{result.score:.3f}",
                "baseline": f"{result.baseline} {result.baseline_score:.3f}",
                "CV score": "" if result.cv_score is None else f"{result.cv_score:.3f}",
                "fit s": f"{result.fit_seconds:.1f}",
                "reloaded": "identical" if same else "DIFFERENT",
            }
        )
    print()
    _print_table(rows)
    if below:
        notes.append(
            f"{', '.join(below)} score{'s' if len(below) == 1 else ''} below the "
            "baseline on this run. On small or nearly linear data (digits, diabetes) "
            "the simple model is hard to beat; the tour shows the workflow, it does "
            "not stage a win."
        )
    print("\nNotes:")
    for note in notes:
        print(f"- {note}")
    written = sorted(p.name for p in output.iterdir())
    print(f"\nWritten to {output}/: {', '.join(written)}")
    print(
        "Inspect a saved model with `skdeep info "
        f"{output / (STEPS[0].estimator + '.joblib')}`."
    )
    return 0 if all_same else 1
