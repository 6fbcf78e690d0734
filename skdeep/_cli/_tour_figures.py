"""The tour's figures, drawn with matplotlib's object API (no pyplot state)."""


def available():
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width=6.4, height=4.2):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


CHECKED = "skdeep figure check: axes labelled, titled, legends and labels clear"


def _save(fig, path):
    """Check ``fig`` (:func:`skdeep.utils._figure_check.check_figure`), then save it.

    The PNG's Description says it passed, so a test of the written files can tell
    a checked figure from any other."""
    from skdeep.utils._figure_check import check_figure

    check_figure(fig)
    fig.savefig(path, dpi=100, metadata={"Description": CHECKED})
    return path


def learning_curves(
    path,
    loss,
    scores=None,
    *,
    title,
    loss_name="training loss",
    score_name="accuracy",
    validation=None,
    test_score=None,
    test=None,
    best_kept=True,
):
    """Training loss and, when recorded, the validation score per epoch (fig. 10-12).

    ``validation`` says where the validation scores come from (e.g. "34 rows held
    out by early stopping") and ``test`` where ``test_score``, the table's score,
    comes from: two different sets of rows, so the figure names both.
    ``best_kept``: the estimator restores the weights of the best validation epoch
    (the built-in networks' early stopping), marked with a dotted line.
    """
    if not available():
        return None
    fig = _figure(7.2, 4.6)
    ax = fig.add_subplot()
    epochs = range(1, len(loss) + 1)
    ax.plot(epochs, loss, label=f"{loss_name}, left axis", color="C0")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss", color="C0")  # the legend says which loss
    ax.grid(alpha=0.3)
    handles = ax.get_lines()
    heading = f"{title}: learning curve\ntraining loss per epoch"
    if scores is not None:
        import numpy as np

        right = ax.twinx()
        where = f" on {validation}" if validation else ""
        right.plot(
            epochs,
            scores,
            color="C1",
            label=f"validation {score_name}{where}, right axis",
        )
        if best_kept:
            best = int(np.nanargmax(scores)) + 1
            ax.axvline(
                best,
                color="k",
                linestyle=":",
                label=f"best validation epoch ({best}): its weights are kept",
            )
        # the validation curve, and the table's test score when given
        right.set_ylabel(
            score_name if test_score is not None else f"validation {score_name}"
        )
        handles = ax.get_lines() + right.get_lines()
        heading = (
            f"{title}: learning curves\ntraining loss (left axis) and validation "
            f"{score_name} (right axis) per epoch"
        )
        if test_score is not None:
            right.axhline(
                test_score,
                color="C2",
                linestyle="--",
                label=f"test {score_name} in the table: {test_score:.3f}"
                + (f" ({test})" if test else ""),
            )
            handles = ax.get_lines() + right.get_lines()
    fig.legend(
        handles,
        [h.get_label() for h in handles],
        loc="outside lower center",
        fontsize=8,
        ncols=1,
    )
    fig.suptitle(heading, fontsize=11)
    return _save(fig, path)


def loss_curves(path, loss, val_loss=None, *, title, loss_name, best=None):
    """Training loss and, when rows were held out, their loss per epoch; ``best``
    marks the epoch whose weights were kept."""
    if not available():
        return None
    fig = _figure(7.2, 4.6)
    ax = fig.add_subplot()
    epochs = range(1, len(loss) + 1)
    ax.plot(epochs, loss, color="C0", label="training rows (with dropout)")
    heading = f"{title}: {loss_name} per epoch on the training rows"
    if val_loss is not None:
        ax.plot(epochs, val_loss, color="C1", label="held-out training rows")
        heading = f"{title}: {loss_name} per epoch\non the training and held-out rows"
    if best is not None:
        ax.axvline(
            best,
            color="k",
            linestyle=":",
            label=f"epoch {best}: its weights are kept",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel(loss_name)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=3, fontsize=8)
    fig.suptitle(heading, fontsize=11)
    return _save(fig, path)


def predicted_vs_true(path, y_true, y_pred, *, estimator, data, score):
    """Predictions against targets on the test set, with its R² (``score``)."""
    if not available():
        return None
    fig = _figure(6.0, 6.0)
    ax = fig.add_subplot()
    ax.scatter(y_true, y_pred, s=4, alpha=0.3, label="a test row")
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    ax.plot([low, high], [low, high], color="k", lw=1, label="perfect prediction")
    ax.set_xlabel("true target")
    ax.set_ylabel("predicted target")
    ax.set_title(
        f"{estimator} on {data}: predicted against true\n"
        f"target on the {len(y_true)} test rows (test R² {score:.3f})"
    )
    fig.legend(loc="outside lower center", ncols=2, fontsize=8, markerscale=3)
    return _save(fig, path)


def representatives(path, images, labels):
    """The digits a human was asked to label, one per cluster.

    Images, so no axes: each panel's title is the label given, and the suptitle
    says what the panels are."""
    if not available():
        return None
    n = len(images)
    cols = 10
    rows = -(-n // cols)
    fig = _figure(cols * 0.8, rows * 0.95 + 0.6)
    for i, (image, label) in enumerate(zip(images, labels)):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image.reshape(8, 8), cmap="binary", interpolation="nearest")
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    fig.suptitle(
        "ClusterPropagationClassifier: the representative digit of each cluster,\n"
        "titled with the label a human gave it",
        fontsize=10,
    )
    return _save(fig, path)


def _grid(X, margin=1.0, steps=300):
    import numpy as np

    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps)
    )
    return xx, yy, np.c_[xx.ravel(), yy.ravel()]


def _legend_outside(ax, handles=None):
    """The legend right of the data, where it covers nothing."""
    handles = handles if handles is not None else ax.get_legend_handles_labels()[0]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.02, 1),
        borderaxespad=0,
        fontsize=8,
    )


def anomalies(path, model, X, is_anomaly, flagged):
    """Log-density contours, the threshold, and flagged points (Géron fig. 9-19)."""
    if not available():
        return None
    from matplotlib.lines import Line2D

    fig = _figure(8.4, 4.8)
    ax = fig.add_subplot()
    xx, yy, grid = _grid(X)
    density = model.score_samples(grid).reshape(xx.shape)
    filled = ax.contourf(
        xx, yy, density, levels=20, cmap="Blues", vmin=density.max() - 12
    )
    fig.colorbar(filled, ax=ax, label="log density (score_samples)", pad=0.01)
    ax.contour(
        xx,
        yy,
        density,
        levels=[model.offset_],
        colors="C3",
        linewidths=1.5,
        linestyles="solid",
    )
    ax.scatter(*X[~is_anomaly].T, s=3, c="k", alpha=0.5, label="normal (generated)")
    ax.scatter(*X[is_anomaly].T, s=30, marker="x", c="C1", label="injected anomaly")
    ax.scatter(
        *X[flagged].T, s=60, facecolors="none", edgecolors="C3", label="flagged (-1)"
    )
    threshold = Line2D([], [], color="C3", lw=1.5, label="threshold (offset_)")
    _legend_outside(ax, ax.get_legend_handles_labels()[0] + [threshold])
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.set_title(
        "GaussianMixtureAnomalyDetector on the test points:\n"
        "log density, threshold, flagged points"
    )
    return _save(fig, path)


def decision_map(path, model, far_points):
    """Cluster of every point of the plane, noise and far points (Géron fig. 9-15)."""
    if not available():
        return None
    import numpy as np
    from matplotlib.lines import Line2D

    fig = _figure(8.4, 4.8)
    ax = fig.add_subplot()
    X = model.components_
    xx, yy, grid = _grid(np.vstack([X, far_points]), margin=0.5, steps=250)
    labels = model.predict(grid).reshape(xx.shape).astype(float)
    labels[labels == -1] = np.nan  # too far from every cluster: left blank
    ax.contourf(xx, yy, labels, levels=len(model.classes_), cmap="Pastel1", alpha=0.8)
    train = model.labels_ != -1
    Xt = model.dbscan_.components_ if hasattr(model.dbscan_, "components_") else X
    ax.scatter(*Xt.T, s=4, c="k", alpha=0.4, label="core samples")
    predicted = model.predict(far_points)
    for point, label in zip(far_points, predicted):
        far = label == -1
        ax.scatter(*point, s=90, marker="X" if far else "o", c="C3" if far else "C2")
        ax.annotate(
            f"{label}",
            point,
            textcoords="offset points",
            xytext=(10, 10),
            fontsize=9,
            bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "0.6", "lw": 0.5},
        )
    new = [
        Line2D([], [], ls="", marker="o", ms=8, color="C2", label="new point: cluster"),
        Line2D([], [], ls="", marker="X", ms=8, color="C3", label="new point: -1"),
    ]
    _legend_outside(ax, ax.get_legend_handles_labels()[0] + new)
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_title(
        f"DBSCANPredictor: {len(model.classes_)} clusters (shaded), "
        f"{int((~train).sum())} noise\nnew points labelled with their prediction; "
        "blank: -1, too far"
    )
    return _save(fig, path)
