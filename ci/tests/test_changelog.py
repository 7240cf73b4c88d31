"""ci/changelog.py: CHANGES.rst sections drafted from news/ fragments."""

import shutil
import subprocess
import sys

import pytest
from conftest import CI
from conftest import ROOT


@pytest.fixture
def repo(tmp_path):
    """A copy of what the script reads, with the zope2 distribution."""
    (tmp_path / "ci").mkdir()
    shutil.copy(CI / "changelog.py", tmp_path / "ci")
    shutil.copy(ROOT / "towncrier.toml", tmp_path)
    shutil.copytree(
        ROOT / "packages" / "zope2",
        tmp_path / "packages" / "zope2",
        ignore=shutil.ignore_patterns("tests"),
    )
    return tmp_path


def changelog(root, *args):
    return subprocess.run(
        [sys.executable, root / "ci" / "changelog.py", *args],
        capture_output=True,
        text=True,
    )


def test_a_fragment_shows_under_its_type_with_its_issue(repo):
    news = repo / "packages" / "zope2" / "news"
    (news / "16.bugfix").write_text("The middleware mends one thing more.\n")
    result = changelog(repo, "draft", "zope2")
    assert result.returncode == 0, result.stderr
    version = "5.0 (unreleased)\n================\n"
    assert version in result.stdout
    section = result.stdout.split("Bug fixes\n---------\n", 1)[1]
    assert "- The middleware mends one thing more. (#16)\n" in section


def test_a_file_of_no_known_type_fails(repo):
    (repo / "packages" / "zope2" / "news" / "16.fix").write_text("Mended.\n")
    result = changelog(repo, "draft")
    assert result.returncode == 1
    assert "Invalid news fragment name: 16.fix" in result.stderr
    assert "packages/zope2/news: towncrier failed (above)" in result.stderr


def test_a_fragment_that_is_not_rest_fails(repo):
    (repo / "packages" / "zope2" / "news" / "16.bugfix").write_text(
        "Mends ``this.\n"
    )
    result = changelog(repo, "draft")
    assert result.returncode == 1
    assert "Inline literal start-string without end-string" in result.stderr
    assert "packages/zope2/news: a fragment is not valid reST" in result.stderr


def test_build_writes_the_section_below_the_marker(repo):
    dist = repo / "packages" / "zope2"
    for fragment in (dist / "news").glob("+*"):
        fragment.unlink()
    (dist / "news" / "16.feature").write_text("Something new.\n")
    result = changelog(
        repo, "build", "zope2", "--version", "5.0", "--date", "2026-12-01"
    )
    assert result.returncode == 0, result.stdout
    text = (dist / "CHANGES.rst").read_text()
    head, tail = text.split(".. towncrier release notes start\n")
    assert tail.startswith(
        "\n5.0 (2026-12-01)\n================\n\nNew features\n"
    )
    assert "- Something new. (#16)" in tail
    assert not (dist / "news" / "16.feature").exists()
