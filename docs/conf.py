"""Sphinx configuration of the sknoisy documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html`` from the
repository root. The gallery runs every ``examples/plot_*.py``; set
``SKNOISY_EXAMPLE_FAST=1`` for a quick build with shrunken examples.
"""

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import sknoisy

project = "sknoisy"
author = "sknoisy developers"
copyright = "sknoisy developers"
version = release = sknoisy.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "robustness_table.rst",
    "which_method_table.rst",
    "noharm_table.rst",
    "noharm_heldout_table.rst",
    "noharm_mnist1d_table.rst",
    "skorch_suite_result.rst",
    "scale_table.rst",
    "gen_modules/backreferences",
    "**.ipynb_checkpoints",
]
root_doc = "index"
default_role = "literal"

# Autosummary writes one page per public name into gen_modules/ (git-ignored).
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_inherit_docstrings = False  # torch's and skorch's docstrings are not numpydoc
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("sknoisy",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"sknoisy": None},
    "download_all_examples": False,
    "show_memory": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "min_reported_time": 5,
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = f"sknoisy {version}"
html_static_path = []
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
}
html_sidebars = {"index": []}


def _skip_metadata_requests(app, what, name, obj, skip, options):
    """Hide scikit-learn's generated ``set_*_request`` methods (metadata routing)."""
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return skip


def setup(app):
    app.connect("autodoc-skip-member", _skip_metadata_requests)
