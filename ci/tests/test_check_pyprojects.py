"""ci/check-pyprojects.py: distributions as their ecosystems expect."""

import re
import shutil
import subprocess
import sys

import pytest
from conftest import CI
from conftest import ROOT


@pytest.fixture
def repo(tmp_path):
    """A copy of what the check reads: LICENSE.txt and packages/."""
    shutil.copy(ROOT / "LICENSE.txt", tmp_path)
    shutil.copytree(
        ROOT / "packages",
        tmp_path / "packages",
        ignore=shutil.ignore_patterns("tests", "pytests", "stress", "browser"),
    )
    return tmp_path


def check(root):
    """The messages of the check, which must fail if there are any."""
    result = subprocess.run(
        [sys.executable, CI / "check-pyprojects.py", root],
        capture_output=True,
        text=True,
    )
    assert result.returncode == (1 if result.stderr else 0), result.stderr
    return result.stderr.splitlines()


def edit(path, old, new):
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def test_the_repository_passes():
    assert check(ROOT) == []


def test_a_missing_license_names_the_fix(repo):
    (repo / "packages" / "zope2" / "LICENSE.txt").unlink()
    assert check(repo) == [
        "packages/zope2/pyproject.toml: LICENSE.txt is missing in"
        " packages/zope2; copy the repository's LICENSE.txt there."
    ]


def test_a_changed_license_names_the_fix(repo):
    edit(repo / "packages" / "core" / "LICENSE.txt", "2.1", "2.0")
    assert check(repo) == [
        "packages/core/pyproject.toml: packages/core/LICENSE.txt differs"
        " from the repository's LICENSE.txt; copy that one over it."
    ]


def test_python_versions_must_be_the_templates(repo):
    edit(
        repo / "packages" / "zope2" / "pyproject.toml",
        '    "Programming Language :: Python :: 3.13",\n',
        '    "Programming Language :: Python :: 3.10",\n',
    )
    [message] = check(repo)
    assert message.startswith(
        "packages/zope2/pyproject.toml: the Python version classifiers are"
    )
    assert "list exactly [" in message and "3.13" in message


def test_an_unknown_classifier_is_refused(repo):
    edit(
        repo / "packages" / "zope2" / "pyproject.toml",
        '"Framework :: Zope :: 6"',
        '"Framework :: Zope :: 60"',
    )
    assert check(repo) == [
        "packages/zope2/pyproject.toml: PyPI does not know the classifiers"
        " ['Framework :: Zope :: 60']; take them from"
        " https://pypi.org/classifiers/."
    ]


def test_pytest_classifier_goes_with_a_pytest_plugin(repo):
    edit(
        repo / "packages" / "core" / "pyproject.toml",
        '    "Framework :: Pytest",\n',
        "",
    )
    edit(
        repo / "packages" / "zope2" / "pyproject.toml",
        '    "Framework :: Zope",\n',
        '    "Framework :: Pytest",\n    "Framework :: Zope",\n',
    )
    assert check(repo) == [
        "packages/core/pyproject.toml: it registers a pytest plugin"
        " (pytest11) but lacks the classifier 'Framework :: Pytest'; add it.",
        "packages/zope2/pyproject.toml: it says 'Framework :: Pytest' but"
        " registers no pytest plugin; remove the classifier.",
    ]


def test_typed_needs_py_typed(repo):
    (
        repo / "packages/zopeappwsgi/src/gocept/httpserverlayer"
        "/zopeappwsgi/py.typed"
    ).unlink()
    [message] = check(repo)
    assert re.match(
        r"packages/zopeappwsgi/pyproject.toml: it says 'Typing :: Typed' but"
        r" ships no py.typed; add an empty src/.*/zopeappwsgi/py.typed.",
        message,
    )


def test_urls_and_the_own_changelog(repo):
    path = repo / "packages" / "zope2" / "pyproject.toml"
    edit(path, "packages/zope2/CHANGES.rst", "packages/core/CHANGES.rst")
    edit(path, "Issues = ", "Bugs = ")
    assert check(repo) == [
        "packages/zope2/pyproject.toml: [project.urls] lacks Issues; add"
        " them as in packages/_template/pyproject.toml.",
        "packages/zope2/pyproject.toml: [project.urls] Changelog is"
        " 'https://github.com/gocept/gocept.httpserverlayer/blob/main"
        "/packages/core/CHANGES.rst'; point it at this distribution's"
        " changelog, ending in '/packages/zope2/CHANGES.rst'.",
    ]


def test_a_private_distribution_needs_no_license_or_urls(repo):
    path = repo / "packages" / "zope2" / "pyproject.toml"
    text = path.read_text()
    text = re.sub(r"\[project\.urls\]\n(.+\n)*", "", text)
    text = text.replace('license-files = ["LICENSE.txt"]\n', "")
    text = text.replace(
        "classifiers = [\n",
        'classifiers = [\n    "Private :: Do Not Upload",\n',
    )
    path.write_text(text)
    (path.parent / "LICENSE.txt").unlink()
    assert check(repo) == []
