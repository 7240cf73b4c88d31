"""Parallel runs with pytest-xdist: every worker its own port and files;
a fixed port (GOCEPT_HTTP_APP_PORT) with workers fails saying why."""

import os
import re
import socket
import subprocess
import sys
import textwrap

import pytest

# Runs pytest sessions of its own: once, not again under -n (tox.ini).
pytestmark = pytest.mark.whole_session

pytest.importorskip("xdist")

WORKERS_MODULE = textwrap.dedent(
    """
    import os
    import pathlib
    import pytest

    def app(environ, start_response):
        start_response("200 OK", [])
        return [b""]

    @pytest.fixture
    def http_app():
        return app

    @pytest.mark.parametrize("n", range(8))
    def test_worker(n, http_server, static_server):
        worker = os.environ["PYTEST_XDIST_WORKER"]
        line = (f"{worker} {http_server.port} {static_server.port}"
                f" {static_server.documentroot}\\n")
        with open(os.environ["REPORT"], "a") as report:
            report.write(line)
    """
)


def run_pytest(tmp_path, module, **env):
    (tmp_path / "test_module.py").write_text(module)
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "GOCEPT_HTTP_APP_PORT"))
    }
    environ.update(env)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--dist",
            "load",
            "--rootdir",
            str(tmp_path),
            str(tmp_path / "test_module.py"),
        ],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_each_worker_has_its_own_port_and_root(tmp_path):
    report = tmp_path / "report.txt"
    result = run_pytest(tmp_path, WORKERS_MODULE, REPORT=str(report))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "8 passed" in result.stdout
    by_worker = {}
    for line in report.read_text().splitlines():
        worker, *rest = line.split(" ", 3)
        by_worker.setdefault(worker, set()).add(tuple(rest))
    if len(by_worker) < 2:
        pytest.skip(f"only {sorted(by_worker)} ran tests: nothing to compare")
    # One session server of each kind per worker, none shared.
    servers = [next(iter(seen)) for seen in by_worker.values()]
    assert all(len(seen) == 1 for seen in by_worker.values()), by_worker
    ports = [int(p) for s in servers for p in s[:2]]
    roots = [s[2] for s in servers]
    assert len(set(ports)) == len(ports)
    assert len(set(roots)) == len(roots)
    for root in roots:  # removed at the end of each worker's session
        assert not os.path.exists(root)


def free_port():
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def test_fixed_port_with_workers_fails_saying_why(tmp_path):
    port = free_port()
    result = run_pytest(
        tmp_path,
        textwrap.dedent(
            """
            def test_one(static_server):
                pass

            def test_two(http_server_factory):
                http_server_factory(wsgi=lambda e, s: [])
            """
        ),
        GOCEPT_HTTP_APP_PORT=str(port),
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert (
        f"GOCEPT_HTTP_APP_PORT={port} fixes the port of every layer, but"
        " this process is a pytest-xdist worker gw"
    ) in output
    assert "Unset GOCEPT_HTTP_APP_PORT" in output
    # test_one errors in its fixture, test_two fails in its body.
    assert re.search(r"1 failed, (.*, )?1 error", result.stdout), output
