""".readthedocs.yaml builds the docs as the docs env of tox.ini does."""

import configparser
import re

import yaml
from conftest import ROOT


def test_it_installs_the_distributions_the_docs_env_installs():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini")
    docs_env = set(
        re.findall(r"^-e (packages/\w+)", tox["testenv:docs"]["deps"], re.M)
    )
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    installs = config["python"]["install"]
    paths = {entry["path"] for entry in installs if "path" in entry}
    assert paths == docs_env
    assert {"requirements": "docs/requirements.txt"} in installs
    assert "-r docs/requirements.txt" in tox["testenv:docs"]["deps"]


def test_it_builds_the_sphinx_project_like_the_docs_env():
    config = yaml.safe_load((ROOT / ".readthedocs.yaml").read_text())
    assert config["version"] == 2
    assert config["sphinx"] == {
        "configuration": "docs/conf.py",
        "fail_on_warning": True,
    }
    # sphinx.ext.graphviz draws the pictures with dot.
    assert "graphviz" in config["build"]["apt_packages"]
