"""Every public name of gocept.httpserverlayer 4.0 works from its module.

Reads the public names from 4.0's wheel itself (and those of the module
``plonetestingz2``, gone since 3.0, from 2.2's sdist), which the consumers
env downloads before the tests (``GOCEPT_REFERENCE_DIR``), and checks that
each one exists in our distributions from the same module and is the same
kind of object: a class with 4.0's public members, constructor parameters,
default bases and instance attributes; a function; a layer that is an
instance of the same-named class; a module-level object.

Not checked: 4.0's own test code (``tests``, ``tests.py``) and test support
(``testing.py``, ``*/testing.py``, ``*/fixtures.py``: the junitxml runner of
its CI and the layers and views of its own suite), which docs/upgrading.rst
lists as gone.
"""

import ast
import importlib
import inspect
import os
import tarfile
import zipfile
from pathlib import Path

import plone.testing
import pytest

REFERENCE = Path(os.environ.get("GOCEPT_REFERENCE_DIR", "reference"))
TEST_SUPPORT = ("testing.py", "fixtures.py", "tests.py")
# plone.testing 7 renamed its module z2 (the Zope 2 layers of 2.x) to zope,
# where WSGIServer takes the place of ZServer (moved to plone.testing.zserver,
# which needs the ZServer distribution).
RENAMED = {
    "plone.testing.z2.ZServer": "plone.testing.zope.WSGIServer",
    "plone.testing.z2": "plone.testing.zope",
}


def reference_sources():
    """(release, module name, source) of the public modules."""
    wheels = sorted(REFERENCE.glob("gocept.httpserverlayer-4.0-*.whl"))
    sdists = sorted(REFERENCE.glob("gocept.httpserverlayer-2.2.tar.gz"))
    if not wheels or not sdists:
        raise RuntimeError(
            f"No gocept.httpserverlayer 4.0 wheel and 2.2 sdist in"
            f" {REFERENCE.resolve()}: run the tests with `tox -e consumers`,"
            " which downloads them, or set GOCEPT_REFERENCE_DIR to a folder"
            " that has them."
        )
    with zipfile.ZipFile(wheels[0]) as wheel:
        for path in wheel.namelist():
            if is_public_module(path):
                yield "4.0", module_name(path), wheel.read(path).decode()
    with tarfile.open(sdists[0]) as sdist:
        for member in sdist.getmembers():
            path = member.name.split("/src/", 1)[-1]
            if "/plonetestingz2/" in path and is_public_module(path):
                source = sdist.extractfile(member).read().decode()
                yield "2.2", module_name(path), source


def is_public_module(path):
    parts = path.split("/")
    return (
        path.startswith("gocept/httpserverlayer/")
        and path.endswith(".py")
        and "tests" not in parts
        and parts[-1] not in TEST_SUPPORT
    )


def module_name(path):
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def dotted(node):
    if isinstance(node, ast.Attribute):
        return f"{dotted(node.value)}.{node.attr}"
    return node.id if isinstance(node, ast.Name) else None


def public_names(release, module, source):
    """Yield a (release, module, name, node) per public top-level name."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names = [node.name]
        elif isinstance(node, ast.Assign):
            names = [t.id for t in node.targets if isinstance(t, ast.Name)]
        else:
            continue  # imports are the modules' own business
        for name in names:
            if not name.startswith("_"):
                yield pytest.param(
                    release, module, name, node, id=f"{module}.{name}"
                )


NAMES = [
    param
    for release, module, source in reference_sources()
    for param in public_names(release, module, source)
]


def resolve(name, module):
    """The object a dotted name in 4.0's module refers to, in ours."""
    for old, new in RENAMED.items():
        if name == old or name.startswith(old + "."):
            name = new + name[len(old) :]
            break
    if "." not in name:
        return getattr(module, name)
    owner, _, attribute = name.rpartition(".")
    return getattr(importlib.import_module(owner), attribute)


def test_reference_has_the_modules_of_4_0():
    modules = {param.values[1] for param in NAMES}
    assert {
        "gocept.httpserverlayer.custom",
        "gocept.httpserverlayer.static",
        "gocept.httpserverlayer.wsgi",
        "gocept.httpserverlayer.zopeappwsgi",
        "gocept.httpserverlayer.plonetestingzope",
        "gocept.httpserverlayer.plonetestingz2",
    } == modules


@pytest.mark.parametrize(("release", "module", "name", "node"), NAMES)
def test_name_works_as_in_the_reference(release, module, name, node):
    ours = importlib.import_module(module)
    assert hasattr(ours, name), f"{module}.{name} of {release} is missing"
    value = getattr(ours, name)
    if isinstance(node, ast.ClassDef):
        check_class(node, value, ours)
    elif isinstance(node, ast.FunctionDef):
        assert callable(value) and not inspect.isclass(value)
    elif isinstance(node.value, ast.Call):
        factory = dotted(node.value.func)
        if factory == "object":  # a sentinel, such as static.TEMPORARY
            assert value is not None
        else:
            assert isinstance(value, resolve(factory, ours))


def check_class(node, cls, module):
    assert inspect.isclass(cls)
    bases = [dotted(base) for base in node.bases]
    if any(base and base.endswith("Layer") for base in bases):
        assert issubclass(cls, plone.testing.Layer)
    members = {}
    for item in node.body:
        if isinstance(item, ast.FunctionDef):
            members[item.name] = item
        elif isinstance(item, ast.Assign):
            for target in item.targets:
                members[getattr(target, "id", "")] = item
    for name, item in members.items():
        if name.startswith("_") and name not in ("__init__", "__call__"):
            continue
        assert hasattr(cls, name), f"{cls.__qualname__}.{name} is missing"
        if name == "defaultBases":
            expected = tuple(
                resolve(dotted(e), module) for e in item.value.elts
            )
            assert expected == cls.defaultBases
    if "__init__" in members:
        check_init(members["__init__"], cls)


def check_init(init, cls):
    """Same positional parameters; the attributes it sets exist."""
    named = [a.arg for a in init.args.args[1:]]
    ours = [
        p.name
        for p in inspect.signature(cls).parameters.values()
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    assert named == ours[: len(named)], f"{cls.__qualname__}({ours})"
    required = len(named) - len(init.args.defaults)
    instance = cls(*[lambda environ, start_response: []] * required)
    for statement in ast.walk(init):
        if (
            isinstance(statement, ast.Attribute)
            and dotted(statement.value) == "self"
            and isinstance(statement.ctx, ast.Store)
        ):
            assert hasattr(instance, statement.attr), statement.attr
