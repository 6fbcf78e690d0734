"""What every figure the tour and the gallery write must have (issue #26).

:func:`figure_problems` lists what a reader would miss or could not read in a
matplotlib figure; :func:`check_figure` raises with that list. The rules:

- every Axes that shows data has an x label and a y label (its own, or one of
  an Axes it shares that axis with, as ``twinx`` shares x);
- every Axes has a title, its own or a sibling's, unless the figure has a
  suptitle that says what the whole figure draws;
- an Axes with its axis turned off (an image: a digit, a photo) needs no axis
  labels, only the title rule;
- a colorbar has a label along its long side;
- a legend drawn inside an Axes covers none of its scatter points or line
  vertices (place it outside, e.g. ``bbox_to_anchor=(1.01, 1)``);
- the text of an annotation does not overlap the marker of the point it names,
  nor cross a drawn line;
- no title, axis label or legend is cut off by the edge of the figure.

The tour checks each figure before saving it; the documentation's gallery
checks each figure an example shows (``docs/conf.py``, :func:`gallery_scraper`).
"""


def _siblings(ax, which):
    group = ax.get_shared_x_axes() if which == "x" else ax.get_shared_y_axes()
    return group.get_siblings(ax)


def _label(ax, which):
    return any(
        (a.get_xlabel() if which == "x" else a.get_ylabel()).strip()
        for a in _siblings(ax, which)
    )


def _title(ax):
    twins = set(_siblings(ax, "x")) | set(_siblings(ax, "y"))
    return any(
        a.get_title(loc).strip() for a in twins for loc in ("left", "center", "right")
    )


def _suptitle(fig):
    text = getattr(fig, "_suptitle", None)
    return text is not None and text.get_text().strip() != ""


def _name(ax, i):
    title = ax.get_title() or ax.get_ylabel() or ""
    return f"axes {i}" + (f" ({title!r})" if title else "")


def _data_points(ax):
    """Display coordinates of the scatter points and line vertices of ``ax``."""
    import numpy as np
    from matplotlib.collections import PathCollection

    points = []
    for collection in ax.collections:
        if isinstance(collection, PathCollection) and len(collection.get_offsets()):
            offsets = np.asarray(collection.get_offsets(), float)
            points.append(collection.get_offset_transform().transform(offsets))
    for line in ax.get_lines():
        xy = np.asarray(line.get_xydata(), float)
        if len(xy) and line.get_visible():
            points.append(line.get_transform().transform(xy))
    if not points:
        return np.empty((0, 2))
    points = np.vstack(points)
    return points[np.isfinite(points).all(axis=1)]


def _line_points(ax, per_segment=25):
    """Display coordinates along every line of ``ax``, vertices and in between."""
    import numpy as np

    points = []
    for line in ax.get_lines():
        xy = line.get_transform().transform(np.asarray(line.get_xydata(), float))
        xy = xy[np.isfinite(xy).all(axis=1)]
        if len(xy) < 2 or not line.get_visible():
            points.append(xy)
            continue
        t = np.linspace(0, 1, per_segment)[:, None, None]
        points.append((xy[:-1] + t * (xy[1:] - xy[:-1])).reshape(-1, 2))
    return np.vstack(points) if points else np.empty((0, 2))


def _inside(bbox, points, pad=0.0):
    return (
        (points[:, 0] >= bbox.x0 - pad)
        & (points[:, 0] <= bbox.x1 + pad)
        & (points[:, 1] >= bbox.y0 - pad)
        & (points[:, 1] <= bbox.y1 + pad)
    )


def _marker_radius(ax, xy, dpi):
    """The largest scatter marker radius (pixels) drawn at data point ``xy``."""
    import numpy as np
    from matplotlib.collections import PathCollection

    radius = 0.0
    for collection in ax.collections:
        if not isinstance(collection, PathCollection):
            continue
        offsets = np.asarray(collection.get_offsets(), float)
        if not len(offsets):
            continue
        here = np.all(np.isclose(offsets, xy), axis=1)
        if here.any():
            sizes = collection.get_sizes()
            size = sizes[np.flatnonzero(here)[0] % len(sizes)] if len(sizes) else 36
            radius = max(radius, np.sqrt(size) / 2 * dpi / 72)
    return radius


def figure_problems(fig):
    """What a reader misses in ``fig``: a list of sentences, empty when none."""
    import numpy as np
    from matplotlib.text import Annotation, Text

    problems = []
    canvas = fig.canvas
    if not hasattr(canvas, "get_renderer"):  # a bare Figure: draw it as savefig would
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        canvas = FigureCanvasAgg(fig)
    canvas.draw()  # layout and text extents as they will be saved
    renderer = canvas.get_renderer()
    suptitle = _suptitle(fig)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    if not axes:
        problems.append("the figure has no axes")
    edge = fig.bbox.padded(1)
    texts = [fig._suptitle] if suptitle else []
    for ax in axes:
        texts += [ax.title, ax._left_title, ax._right_title]
        texts += [ax.xaxis.label, ax.yaxis.label]
    legends = list(fig.legends) + [ax.get_legend() for ax in axes]
    for legend in legends:
        if legend is not None and legend.get_visible():
            texts.append(legend)
    for text in texts:
        label = text.get_text() if hasattr(text, "get_text") else "the legend"
        if text.get_visible() and label.strip():
            box = text.get_window_extent(renderer)
            if not (
                box.x0 >= edge.x0
                and box.x1 <= edge.x1
                and box.y0 >= edge.y0
                and box.y1 <= edge.y1
            ):
                problems.append(f"{label!r} is cut off by the edge of the figure")
    for i, ax in enumerate(axes):
        name = _name(ax, i)
        colorbar = getattr(ax, "_colorbar", None)
        if colorbar is not None:
            long_side = "y" if colorbar.orientation == "vertical" else "x"
            if not _label(ax, long_side):
                problems.append(f"{name}: the colorbar has no label")
            continue
        if ax.axison:
            for which in ("x", "y"):
                if not _label(ax, which):
                    problems.append(f"{name}: no {which} label")
        if not suptitle and not _title(ax):
            problems.append(f"{name}: no title (and the figure has no suptitle)")
        legend = ax.get_legend()
        if legend is not None and legend.get_visible():
            box = legend.get_window_extent(renderer)
            area = ax.get_window_extent(renderer)
            if box.overlaps(area):
                covered = 0
                for a in _siblings(ax, "x"):
                    covered += int(_inside(box, _data_points(a)).sum())
                if covered:
                    problems.append(
                        f"{name}: the legend covers {covered} data points; "
                        "place it outside the data"
                    )
        for text in ax.texts:
            if not isinstance(text, Annotation) or not text.get_text().strip():
                continue
            xy = np.asarray(text.xy, float)
            radius = _marker_radius(ax, xy, fig.dpi)
            centre = ax.transData.transform(xy)
            box = Text.get_window_extent(text, renderer)  # the words, not the arrow
            patch = text.get_bbox_patch()
            if patch is not None:
                box = patch.get_window_extent(renderer)
            if radius and _inside(box, centre[None, :], pad=radius + 1).any():
                problems.append(
                    f"{name}: the annotation {text.get_text()!r} touches the "
                    "marker it names; offset it (xytext in offset points)"
                )
            if _inside(box, _line_points(ax)).any():
                problems.append(
                    f"{name}: the annotation {text.get_text()!r} crosses a line"
                )
    return problems


def check_figure(fig):
    """Raise ValueError listing :func:`figure_problems` of ``fig``, if any."""
    problems = figure_problems(fig)
    if problems:
        title = fig._suptitle.get_text() if _suptitle(fig) else ""
        where = f" {title!r}" if title else ""
        raise ValueError(
            f"figure{where} is not ready for a reader:\n- " + "\n- ".join(problems)
        )
    return fig


def gallery_scraper(block, block_vars, gallery_conf, **kwargs):
    """sphinx-gallery's matplotlib scraper, after :func:`check_figure` on each figure.

    ``docs/conf.py`` names it in ``image_scrapers``, so the docs build (CI, with
    ``-W``) fails on an example whose figure lacks a label, a title, or places a
    legend over its data.
    """
    import matplotlib.pyplot as plt
    from sphinx_gallery.scrapers import matplotlib_scraper

    for number in plt.get_fignums():
        fig = plt.figure(number)
        problems = figure_problems(fig)
        if problems:
            raise ValueError(
                f"{block_vars.get('src_file', 'an example')}: figure {number} is not "
                "ready for a reader:\n- " + "\n- ".join(problems)
            )
    return matplotlib_scraper(block, block_vars, gallery_conf, **kwargs)
