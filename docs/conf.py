"""Sphinx configuration of the skdeep documentation (see docs/README.md)."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # document this checkout, installed or not

import skdeep  # noqa: E402

# The gallery runs the examples in this process: keep TensorFlow's C++ start-up
# logs out of the build output (the build owns its process, like the command).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

project = "skdeep"
author = "the skdeep developers"
copyright = "the skdeep developers, BSD-3-Clause"
release = version = skdeep.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md", "**/README.md", "sg_execution_times.rst"]

# API reference: one page per public class or function, from the docstrings
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

# the Markdown user guide pages (GitHub-readable as they are)
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "image_srcset": [],
    # matplotlib's scraper after a check that each figure has axis labels, a
    # title, and no legend or label over its data (issue #26); a fully qualified
    # name, as Sphinx cannot cache a function in its configuration
    "image_scrapers": ("skdeep.utils._figure_check.gallery_scraper",),
}

# offline build, so no intersphinx: the few scikit-learn glossary terms the
# docstrings use are defined in glossary.rst


def _skip_metadata_routing(app, what, name, obj, skip, options):
    """Leave out the ``set_*_request`` methods scikit-learn generates on every class."""
    if name == "get_metadata_routing" or (
        name.startswith("set_") and name.endswith("_request")
    ):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_routing)


html_theme = "pydata_sphinx_theme"
html_title = f"skdeep {version}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_static_path = []
# pages without sub-pages: no empty navigation column, more room for wide tables
html_sidebars = {
    page: []
    for page in ("index", "getting_started", "command_line", "comparison", "glossary")
}
html_show_sourcelink = False
