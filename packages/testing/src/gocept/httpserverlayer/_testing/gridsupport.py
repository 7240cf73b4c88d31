"""Shared by the grid tests: a browser from the grid for a server layer.

The grid env (``tox -e grid``) runs the tests through ``hosts.py``, which
starts a Selenium Grid whose nodes are other hosts (network namespaces)
and sets ``GOCEPT_SELENIUM_GRID_URL``, ``GOCEPT_HTTP_APP_HOST`` and
``GOCEPT_HTTP_BIND_HOST`` for them. Without a grid (no root, say),
``GOCEPT_GRID_UNAVAILABLE`` says why and the tests skip, printing it.

Needs the core's ``grid`` extra (Selenium), which the grid env installs.
"""

from __future__ import annotations

import json
import os
import sys
import unittest
from typing import Any

import plone.testing

from gocept.httpserverlayer import grid


def why_no_grid() -> str | None:
    """Return why no grid is there, or None."""
    reason = os.environ.get("GOCEPT_GRID_UNAVAILABLE")
    if reason:
        return reason
    if not os.environ.get("GOCEPT_SELENIUM_GRID_URL"):
        return (
            "GOCEPT_SELENIUM_GRID_URL is not set; `tox -e grid` starts a"
            " grid and sets it"
        )
    return None


def node_addresses() -> set[str]:
    """The addresses of the grid's nodes, as hosts.py made them."""
    return set(json.loads(os.environ["GOCEPT_GRID_NODE_ADDRESSES"]))


class RemoteBrowser(plone.testing.Layer):
    """A Chromium session from the grid, for the tests of a server layer.

    setUp starts the session with :func:`grid.remote_webdriver` (which
    checks that the browser reaches the server); after each test the
    browser goes to ``about:blank`` without cookies; tearDown quits it.
    Resource: ``webdriver`` (None without a grid).
    """

    def __init__(self, server: Any, **kw: Any) -> None:
        kw.setdefault("name", f"{server.__name__}+GridBrowser")
        super().__init__(bases=(server,), **kw)

    def setUp(self) -> None:
        self["webdriver"] = None
        reason = why_no_grid()
        if reason:
            print(f"\nSkipping the grid tests: {reason}", file=sys.stderr)
            return
        self["webdriver"] = grid.remote_webdriver(self)

    def testTearDown(self) -> None:
        driver = self["webdriver"]
        if driver is not None:
            driver.get("about:blank")
            driver.delete_all_cookies()

    def tearDown(self) -> None:
        driver = self["webdriver"]
        del self["webdriver"]
        if driver is not None:
            driver.quit()


class GridTestCase(unittest.TestCase):
    """A test that drives ``self.driver``, a browser on a grid node."""

    layer: Any

    def setUp(self) -> None:
        super().setUp()
        self.driver = self.layer["webdriver"]
        if self.driver is None:
            self.skipTest(why_no_grid() or "no browser from the grid")

    def wait_for(self, script: str, timeout: float = 20) -> Any:
        """Wait until the JavaScript expression is truthy; return it."""
        from selenium.webdriver.support.wait import WebDriverWait

        return WebDriverWait(self.driver, timeout).until(
            lambda driver: driver.execute_script(f"return ({script});"),
            message=f"{script} stayed falsy for {timeout} s",
        )


def whoami_app(layer: Any) -> Any:
    """A WSGI app: ``/`` is a page whose script asks ``/whoami`` (at the
    address ``layer`` advertises) who the client is, ``/whoami`` answers
    with the client's address as the server saw it."""

    def app(environ: Any, start_response: Any) -> list[bytes]:
        if environ["PATH_INFO"] == "/whoami":
            body = json.dumps(
                {
                    "client": environ["REMOTE_ADDR"],
                    "host": environ["HTTP_HOST"],
                }
            ).encode()
            content_type = "application/json"
        else:
            body = PAGE.format(url=layer["http_url"]).encode()
            content_type = "text/html; charset=utf-8"
        start_response(
            "200 OK",
            [
                ("Content-Type", content_type),
                ("Content-Length", str(len(body))),
            ],
        )
        return [body]

    return app


PAGE = """\
<!DOCTYPE html>
<html><head><title>grid</title><link rel="icon" href="data:,"></head>
<body><script>
  fetch("{url}/whoami").then((r) => r.json()).then((data) => {{
    document.body.dataset.whoami = JSON.stringify(data);
  }}, (error) => {{ document.body.dataset.whoami = `${{error}}`; }});
</script></body></html>
"""
