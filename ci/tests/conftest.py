"""Shared by the tests of the scripts in ci/ (`tox -e ci`)."""

import importlib.util
import pathlib
import sys

import pytest

CI = pathlib.Path(__file__).resolve().parent.parent
ROOT = CI.parent


def load(path):
    """Import a script whose file name is not a module name."""
    spec = importlib.util.spec_from_file_location(
        path.stem.replace("-", "_"), path
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def summary():
    return load(CI / "testrunner-summary.py")
