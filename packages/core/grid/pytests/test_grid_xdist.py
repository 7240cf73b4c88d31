"""The plugin's servers under ``pytest -n 2``, browsed from grid nodes.

Every xdist worker starts its own server on the test host's address that
faces the nodes (another port per worker) and gets its own browser from
the hub.
"""

import json
import os

import pytest
from selenium.webdriver.support.wait import WebDriverWait

from gocept.httpserverlayer import grid
from gocept.httpserverlayer._testing import gridsupport


@pytest.fixture(scope="session")
def grid_server(http_server_factory):
    reason = gridsupport.why_no_grid()
    if reason:
        pytest.skip(reason)
    layer = {}
    # The page names the server's own address: the app reads it from the
    # layer, which exists only once the factory started it.
    server = http_server_factory(
        wsgi=lambda environ, start: layer["app"](environ, start), name="grid"
    )
    layer["app"] = gridsupport.whoami_app(server.layer)
    return server


@pytest.fixture(scope="session")
def grid_driver(grid_server):
    driver = grid.remote_webdriver(grid_server.layer)
    yield driver
    driver.quit()


@pytest.fixture
def served(grid_server):
    with grid_server.for_test():
        yield grid_server


@pytest.mark.parametrize("n", range(4))
def test_worker_s_server_is_browsed_from_a_node(n, served, grid_driver):
    assert os.environ.get("PYTEST_XDIST_WORKER"), "not run by pytest -n"
    assert served.host == os.environ["GOCEPT_HTTP_APP_HOST"]
    assert served.layer["httpd"].server_address[0] == served.host
    grid_driver.get(f"{served.url}/")
    whoami = json.loads(
        WebDriverWait(grid_driver, 20).until(
            lambda d: d.execute_script("return document.body.dataset.whoami")
        )
    )
    assert whoami["client"] in gridsupport.node_addresses()
    assert whoami["host"] == served.address
