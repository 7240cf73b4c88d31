"""Sphinx configuration: one project for every distribution in packages/."""

import pathlib
import sys

import gocept.httpserverlayer

# Local extensions: benchchart draws the charts of docs/benchmarks.rst.
sys.path.insert(0, str(pathlib.Path(__file__).parent / "_ext"))

project = "gocept.httpserverlayer"
author = "gocept.httpserverlayer contributors"
copyright = author
release = gocept.httpserverlayer.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.graphviz",
    "benchchart",
]
# The pictures are drawn from docs/diagrams/*.dot by Debian's graphviz
# (`dot`, which the docs env installs through ci/apt-install.sh), as SVG.
graphviz_output_format = "svg"
# One `make bench` run, kept in the repository so that the docs build
# without running the benchmarks: `make bench ARGS='--json
# docs/bench-results.json'` replaces it.
benchmark_results = "bench-results.json"
# No intersphinx: the machines that build these docs cannot reach other
# projects' inventories, and -W would turn every failed fetch into an error.

exclude_patterns = ["_build", "tests"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"

html_theme = "furo"
html_title = f"{project} {release}"

# Our overrides of http.server methods would otherwise show the standard
# library's docstrings, which are not reST and fail the -W build.
autodoc_inherit_docstrings = False
