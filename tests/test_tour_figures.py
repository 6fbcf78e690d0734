"""The tour's figures and the figure check the tour and the gallery run (issue #26).

Every figure function of ``skdeep._cli._tour_figures`` is drawn here on tiny
inputs; each checks its figure before saving (``_save``), so a figure without
axis labels or a title, or with a legend over its data, fails here. The quick
tour in ``tests/test_cli.py`` then checks that every PNG it wrote went through
that check; the gallery's figures are checked by the docs build
(``docs/conf.py``, ``gallery_scraper``).
"""

import inspect
import sys
import types

import numpy as np
import pytest

pytest.importorskip("matplotlib")

from matplotlib.figure import Figure  # noqa: E402
from PIL import Image  # noqa: E402

from skdeep._cli import _tour_figures as figures  # noqa: E402
from skdeep.utils._figure_check import (  # noqa: E402
    check_figure,
    figure_problems,
    gallery_scraper,
)


def _detector():
    from sklearn.datasets import make_blobs

    from skdeep.anomaly import GaussianMixtureAnomalyDetector

    X, _ = make_blobs(60, centers=[[0, 0], [5, 5]], random_state=0)
    X = np.vstack([X, [[-4, 8], [9, -3]]])
    model = GaussianMixtureAnomalyDetector(
        n_components=2, contamination=0.05, random_state=0
    ).fit(X)
    is_anomaly = np.r_[np.zeros(60, bool), True, True]
    return model, X, is_anomaly, model.predict(X) == -1


def _dbscan():
    from sklearn.datasets import make_moons

    from skdeep.cluster import DBSCANPredictor

    X, _ = make_moons(80, noise=0.05, random_state=0)
    return DBSCANPredictor(eps=0.3, min_samples=3, n_neighbors=5).fit(X)


def _draw(name, path):
    rng = np.random.default_rng(0)
    loss = list(np.linspace(1.0, 0.2, 6))
    scores = [0.5, 0.6, 0.65, 0.7, 0.68, 0.69]
    if name == "learning_curves":
        # the tour's longest texts
        return figures.learning_curves(
            path,
            loss,
            scores,
            title="KerasClassifier (a small CNN)",
            loss_name="training loss (squared error, standardised target)",
            score_name="accuracy",
            validation="the 135 rows of validation_split=0.1",
            test_score=0.6,
            test="1000 test rows",
        )
    if name == "loss_curves":
        # the tour's longest texts
        return figures.loss_curves(
            path,
            loss,
            [v + 0.1 for v in loss],
            title="TabularMLPClassifier",
            loss_name="log loss (label-smoothed)",
            best=4,
        )
    if name == "predicted_vs_true":
        y = rng.normal(size=30)
        # the longest data name the tour uses
        return figures.predicted_vs_true(
            path,
            y,
            y + rng.normal(size=30),
            estimator="MLPRegressor",
            data="California housing",
            score=0.7,
        )
    if name == "representatives":
        images = rng.integers(0, 16, size=(12, 64))
        return figures.representatives(path, images, np.arange(12) % 10)
    if name == "anomalies":
        return figures.anomalies(path, *_detector())
    if name == "decision_map":
        far = np.array([[-0.5, 1.0], [0.0, 0.1], [1.0, -0.6], [2.6, -0.4]])
        return figures.decision_map(path, _dbscan(), far)
    raise AssertionError(f"no tiny input for figures.{name}: add one here")


FIGURES = [
    "learning_curves",
    "loss_curves",
    "predicted_vs_true",
    "representatives",
    "anomalies",
    "decision_map",
]


def test_every_figure_function_is_drawn_here():
    public = {
        name
        for name, value in vars(figures).items()
        if inspect.isfunction(value)
        and not name.startswith("_")
        and name != "available"
    }
    assert public == set(FIGURES)


@pytest.mark.parametrize("name", FIGURES)
def test_tour_figure_passes_the_check(tmp_path, name):
    path = _draw(name, tmp_path / f"{name}.png")
    assert path == tmp_path / f"{name}.png"
    with Image.open(path) as image:
        assert image.text.get("Description") == figures.CHECKED


def test_loss_curves_without_held_out_rows(tmp_path):
    path = figures.loss_curves(
        tmp_path / "loss.png", [1.0, 0.5], title="a net", loss_name="squared error"
    )
    with Image.open(path) as image:
        assert image.text.get("Description") == figures.CHECKED


def test_learning_curves_without_validation_scores(tmp_path):
    path = figures.learning_curves(tmp_path / "loss.png", [1.0, 0.5], title="a net")
    with Image.open(path) as image:
        assert image.text.get("Description") == figures.CHECKED


def _plain(**labels):
    fig = Figure(layout="constrained")
    ax = fig.add_subplot()
    ax.plot([0, 1, 2], [0, 1, 4])
    ax.set(**labels)
    return fig, ax


def test_a_labelled_titled_figure_has_no_problems():
    fig, _ = _plain(xlabel="x", ylabel="y", title="what is drawn")
    assert figure_problems(fig) == []
    assert check_figure(fig) is fig


def test_missing_labels_and_title_are_named():
    fig, _ = _plain()
    problems = figure_problems(fig)
    assert any("no x label" in p for p in problems)
    assert any("no y label" in p for p in problems)
    assert any("no title" in p for p in problems)
    with pytest.raises(ValueError, match="not ready for a reader"):
        check_figure(fig)


def test_a_suptitle_stands_for_the_panels_titles():
    fig, _ = _plain(xlabel="x", ylabel="y")
    fig.suptitle("what is drawn")
    assert figure_problems(fig) == []


def test_a_twin_axes_shares_the_x_label_but_needs_its_y_label():
    fig, ax = _plain(xlabel="epoch", ylabel="loss", title="curves")
    right = ax.twinx()
    right.plot([0, 1, 2], [3, 2, 1])
    assert figure_problems(fig) == ["axes 1: no y label"]
    right.set_ylabel("score")
    assert figure_problems(fig) == []


def test_image_axes_need_a_title_not_axis_labels():
    fig = Figure()
    for i in range(2):
        ax = fig.add_subplot(1, 2, i + 1)
        ax.imshow(np.eye(3))
        ax.axis("off")
    assert len(figure_problems(fig)) == 2  # no title, no suptitle
    fig.suptitle("two images")
    assert figure_problems(fig) == []


def test_a_colorbar_needs_a_label():
    fig, ax = _plain(xlabel="x", ylabel="y", title="t")
    image = ax.imshow(np.eye(3))
    bar = fig.colorbar(image, ax=ax)
    assert any("colorbar has no label" in p for p in figure_problems(fig))
    bar.set_label("value")
    assert figure_problems(fig) == []


def test_a_legend_over_the_points_is_refused_and_outside_is_fine():
    fig, ax = _plain(xlabel="x", ylabel="y", title="t")
    rng = np.random.default_rng(0)
    ax.scatter(*rng.uniform(size=(2, 400)) * [[2], [4]], label="points")
    ax.legend(loc="center")
    assert any("legend covers" in p for p in figure_problems(fig))
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1))
    assert figure_problems(fig) == []


def test_an_annotation_on_its_marker_is_refused_and_offset_is_fine():
    fig, ax = _plain(xlabel="x", ylabel="y", title="t")
    ax.scatter([1.5], [0.5], s=90)  # below the line: room for a label
    note = ax.annotate("-1", (1.5, 0.5), textcoords="offset points", xytext=(2, 2))
    assert any("touches the marker" in p for p in figure_problems(fig))
    note.remove()
    ax.annotate("-1", (1.5, 0.5), textcoords="offset points", xytext=(10, 10))
    assert figure_problems(fig) == []


def test_an_annotation_across_a_line_is_refused():
    fig, ax = _plain(xlabel="x", ylabel="y", title="t")
    note = ax.annotate("here", (0.5, 0.5))  # the text starts on the line
    assert any("crosses a line" in p for p in figure_problems(fig))
    note.remove()
    ax.annotate("here", (0, 4), textcoords="offset points", xytext=(4, -12))
    assert figure_problems(fig) == []
    # an arrow from the words to a point on the line is what arrows are for
    ax.annotate(
        "there",
        (1, 1),
        xytext=(0.2, 3),
        arrowprops={"arrowstyle": "->"},
    )
    assert figure_problems(fig) == []


def test_a_title_wider_than_the_figure_is_refused():
    fig, _ = _plain(xlabel="x", ylabel="y", title="what is drawn " * 12)
    assert any("cut off by the edge" in p for p in figure_problems(fig))


def test_a_figure_legend_wider_than_the_figure_is_refused():
    fig, ax = _plain(xlabel="x", ylabel="y", title="t")
    ax.lines[0].set_label("a very long description of this curve " * 3)
    fig.legend(loc="outside lower center")
    assert figure_problems(fig) == ["'the legend' is cut off by the edge of the figure"]


def test_gallery_scraper_checks_every_open_figure(monkeypatch):
    import matplotlib.pyplot as plt

    scraped = []
    fake = types.ModuleType("sphinx_gallery.scrapers")
    fake.matplotlib_scraper = lambda *args, **kwargs: scraped.append(args) or ["ok"]
    monkeypatch.setitem(sys.modules, "sphinx_gallery", types.ModuleType("sg"))
    monkeypatch.setitem(sys.modules, "sphinx_gallery.scrapers", fake)
    plt.close("all")
    try:
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        with pytest.raises(ValueError, match="plot_x.py: figure 1"):
            gallery_scraper({}, {"src_file": "plot_x.py"}, {})
        assert scraped == []
        ax.set(xlabel="x", ylabel="y", title="t")
        assert gallery_scraper({}, {"src_file": "plot_x.py"}, {}) == ["ok"]
        assert len(scraped) == 1
    finally:
        plt.close("all")
