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


def _save(fig, path):
    fig.savefig(path, dpi=100)
    return path


def learning_curves(path, loss, scores, title="MLPClassifier", score_name=None):
    """Training loss and validation score per epoch (Géron fig. 10-12)."""
    if not available():
        return None
    fig = _figure()
    ax = fig.add_subplot()
    epochs = range(1, len(loss) + 1)
    ax.plot(epochs, loss, label="training loss", color="C0")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    if scores is not None:
        right = ax.twinx()
        right.plot(epochs, scores, label="validation score", color="C1")
        right.set_ylabel(score_name or "validation accuracy")
        lines = ax.get_lines() + right.get_lines()
        ax.legend(lines, [line.get_label() for line in lines], loc="center right")
    ax.set_title(f"{title}: learning curves")
    ax.grid(alpha=0.3)
    return _save(fig, path)


def predicted_vs_true(path, y_true, y_pred, title):
    """Predictions against targets on the test set."""
    if not available():
        return None
    fig = _figure(5.2, 5.0)
    ax = fig.add_subplot()
    ax.scatter(y_true, y_pred, s=4, alpha=0.3)
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    ax.plot([low, high], [low, high], color="k", lw=1, label="perfect prediction")
    ax.set_xlabel("true target")
    ax.set_ylabel("predicted")
    ax.set_title(title)
    ax.legend(loc="upper left")
    return _save(fig, path)


def representatives(path, images, labels):
    """The digits a human was asked to label, one per cluster."""
    if not available():
        return None
    n = len(images)
    cols = 10
    rows = -(-n // cols)
    fig = _figure(cols * 0.8, rows * 0.95)
    for i, (image, label) in enumerate(zip(images, labels)):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(image.reshape(8, 8), cmap="binary", interpolation="nearest")
        ax.set_title(str(label), fontsize=9)
        ax.axis("off")
    fig.suptitle("the representative digit of each cluster, with the label given")
    return _save(fig, path)


def _grid(X, margin=1.0, steps=300):
    import numpy as np

    lo, hi = X.min(axis=0) - margin, X.max(axis=0) + margin
    xx, yy = np.meshgrid(
        np.linspace(lo[0], hi[0], steps), np.linspace(lo[1], hi[1], steps)
    )
    return xx, yy, np.c_[xx.ravel(), yy.ravel()]


def anomalies(path, model, X, is_anomaly, flagged):
    """Log-density contours, the threshold, and flagged points (Géron fig. 9-19)."""
    if not available():
        return None
    fig = _figure()
    ax = fig.add_subplot()
    xx, yy, grid = _grid(X)
    density = model.score_samples(grid).reshape(xx.shape)
    ax.contourf(xx, yy, density, levels=20, cmap="Blues", vmin=density.max() - 12)
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
    ax.set_title("GaussianMixtureAnomalyDetector: density and threshold (red)")
    ax.legend(loc="lower right", fontsize=8)
    return _save(fig, path)


def decision_map(path, model, far_points):
    """Cluster of every point of the plane, noise and far points (Géron fig. 9-15)."""
    if not available():
        return None
    import numpy as np

    fig = _figure()
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
        marker = "X" if label == -1 else "o"
        ax.scatter(*point, s=90, marker=marker, c="C3" if label == -1 else "C2")
        ax.annotate(str(label), point, textcoords="offset points", xytext=(8, 8))
    ax.set_title(
        f"DBSCANPredictor: {len(model.classes_)} clusters, {int((~train).sum())} "
        "noise\nnew points: green = a cluster, red X = -1 (too far)"
    )
    ax.legend(loc="lower left", fontsize=8)
    return _save(fig, path)
