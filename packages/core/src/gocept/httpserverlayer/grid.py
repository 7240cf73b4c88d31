"""Browsers from a Selenium Grid for the layers' servers.

A Selenium Grid runs its browsers on other hosts (its *nodes*), so a layer
must listen on an address those hosts reach and advertise a name they
resolve: set :envvar:`GOCEPT_HTTP_BIND_HOST` and
:envvar:`GOCEPT_HTTP_APP_HOST`. This module starts a Chromium session on the
grid named by :envvar:`GOCEPT_SELENIUM_GRID_URL` for a layer, with the
layer's certificate trusted when it serves HTTPS, and checks on the way that
the grid answers and that its browser reaches the layer: each mistake is one
:class:`GridError` that names the cause and the variable to change, and
every wait has a bound.

It needs Selenium (``pip install 'gocept.httpserverlayer[grid]'``), which it
imports only when called.

.. versionadded:: 5.0
"""

from __future__ import annotations

import ipaddress
import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterable
from collections.abc import Mapping
from typing import TYPE_CHECKING
from typing import Any

from gocept.httpserverlayer._errors import Error
from gocept.httpserverlayer.browser import FLAGS

if TYPE_CHECKING:
    from selenium.webdriver.chrome.options import Options
    from selenium.webdriver.remote.webdriver import WebDriver

__all__ = [
    "CHROMIUM_ARGUMENTS",
    "GridError",
    "check_grid",
    "check_reachable",
    "chrome_options",
    "grid_url",
    "remote_webdriver",
]

#: Headless, and none of the background traffic a desktop browser sends to
#: the internet; without a sandbox, which a browser in a container lacks:
#: the flags of a local browser (:data:`.browser.FLAGS`).
CHROMIUM_ARGUMENTS = FLAGS


class GridError(Error):
    """The grid, or the way from its browsers to the layer, does not work."""


def grid_url() -> str:
    """The hub's URL: :envvar:`GOCEPT_SELENIUM_GRID_URL`, without a slash
    at the end."""
    url = os.environ.get("GOCEPT_SELENIUM_GRID_URL", "").strip()
    if not url:
        raise GridError(
            "GOCEPT_SELENIUM_GRID_URL is not set: set it to the URL of the"
            " Selenium Grid's hub, such as http://hub.example.com:4444."
        )
    return url.rstrip("/")


def check_grid(url: str | None = None, timeout: float = 10.0) -> Any:
    """Ask the grid at ``url`` whether it takes sessions; return its status.

    :param url: the hub's URL; default :func:`grid_url`.
    :param timeout: seconds to wait for the answer.
    :raises GridError: the grid does not answer, does not answer as a
        Selenium Grid, or has no node that takes a session.
    """
    url = (url or grid_url()).rstrip("/")
    try:
        with urllib.request.urlopen(f"{url}/status", timeout=timeout) as r:
            status = json.load(r)["value"]
    except urllib.error.HTTPError as e:
        raise GridError(
            f"{url}/status answered {e.code} {e.reason}, not as a Selenium"
            " Grid does: set GOCEPT_SELENIUM_GRID_URL to the URL of the"
            " grid's hub."
        ) from None
    except (OSError, urllib.error.URLError) as e:
        reason = getattr(e, "reason", e)
        raise GridError(
            f"The Selenium Grid at {url} is not reachable ({reason}): start"
            " it, or set GOCEPT_SELENIUM_GRID_URL to the URL of its hub."
        ) from None
    except (ValueError, KeyError, TypeError):
        raise GridError(
            f"{url}/status did not answer as a Selenium Grid does: set"
            " GOCEPT_SELENIUM_GRID_URL to the URL of the grid's hub."
        ) from None
    if not status.get("ready"):
        raise GridError(
            f"The Selenium Grid at {url} is not ready"
            f" ({status.get('message', 'no message')}): start a node that"
            " offers Chromium, or set GOCEPT_SELENIUM_GRID_URL to a grid"
            " that has one."
        )
    return status


def chrome_options(
    layer: Mapping[str, Any] | None = None,
    *,
    arguments: Iterable[str] = CHROMIUM_ARGUMENTS,
    binary: str | None = None,
) -> Options:
    """Chromium's options for a session that browses ``layer``.

    When the layer serves HTTPS, the browser trusts its certificate by the
    hash of its public key (``--ignore-certificate-errors-spki-list`` with
    the ``ca_spki_hash`` resource): the hash travels in the session's
    capabilities, so the browser on the node trusts that certificate and
    no other, with nothing installed on the node.

    :param layer: a set-up server layer (or None).
    :param arguments: Chromium's command-line switches.
    :param binary: the browser's path on the node, if the node's
        configuration does not name it.
    """
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for argument in arguments:
        options.add_argument(argument)
    spki = layer.get("ca_spki_hash") if layer is not None else None
    if spki:
        options.add_argument(f"--ignore-certificate-errors-spki-list={spki}")
    if binary:
        options.binary_location = binary
    return options


def _is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _unreachable(url: str, layer: Mapping[str, Any], cause: str) -> GridError:
    host = layer["http_host"]
    if _is_loopback(host):
        return GridError(
            f"The grid's browser cannot reach {url} ({cause}): {host!r} is"
            " a loopback name, which on the grid's node means the node"
            " itself; set GOCEPT_HTTP_APP_HOST to this machine's name or"
            " address as the nodes see it, and GOCEPT_HTTP_BIND_HOST to an"
            " address they reach (or 0.0.0.0)."
        )
    if cause.startswith("ERR_CERT"):
        return GridError(
            f"The grid's browser does not trust {url} ({cause}): pass the"
            " set-up layer to chrome_options(), which trusts the layer's"
            " certificate through its ca_spki_hash resource."
        )
    return GridError(
        f"The grid's browser cannot reach {url} ({cause}): set"
        " GOCEPT_HTTP_APP_HOST to a name or address of this machine that"
        " the grid's nodes reach, and GOCEPT_HTTP_BIND_HOST to an address"
        " the server listens on for them (or 0.0.0.0)."
    )


def check_reachable(
    driver: WebDriver, layer: Mapping[str, Any], timeout: float = 10.0
) -> None:
    """Load the layer's URL in ``driver``'s browser, or raise GridError.

    Any answer from the server passes, an error status included; a
    connection the node cannot make (refused, unreachable, a name it cannot
    resolve, a certificate it does not trust, no answer within
    ``timeout`` seconds) raises :class:`GridError` naming the variable to
    change. The browser is left on ``about:blank``.
    """
    from selenium.common.exceptions import TimeoutException
    from selenium.common.exceptions import WebDriverException

    url = f"{layer['http_url']}/"
    driver.set_page_load_timeout(timeout)
    try:
        try:
            driver.get(url)
        except TimeoutException:
            raise _unreachable(
                url, layer, f"no answer within {timeout:g} s"
            ) from None
        except WebDriverException as e:
            message = e.msg or ""
            if "net::ERR_" not in message:
                raise
            cause = "ERR_" + message.split("net::ERR_", 1)[1].split()[0]
            raise _unreachable(url, layer, cause) from None
        # Some errors do not fail the navigation: the browser shows its
        # error page instead of the server's.
        location, code = driver.execute_script(
            "const code = document.querySelector('.error-code');"
            "return [location.href, code && code.textContent.trim()];"
        )
        if str(location).startswith("chrome-error:"):
            cause = str(code or "an error page").removeprefix("net::")
            raise _unreachable(url, layer, cause)
    finally:
        try:
            driver.get("about:blank")
        except WebDriverException:
            pass  # reporting the first problem matters more


def remote_webdriver(
    layer: Mapping[str, Any],
    options: Options | None = None,
    *,
    url: str | None = None,
    timeout: float = 60.0,
) -> WebDriver:
    """Start a browser session on the grid for the set-up ``layer``.

    Checks that the grid answers (:func:`check_grid`), starts the session
    (waiting at most ``timeout`` seconds for a node to take it) and checks
    that the browser reaches the layer (:func:`check_reachable`). The
    caller quits the session.

    :param layer: a set-up server layer, or a mapping with its resources.
    :param options: the browser's options; default
        ``chrome_options(layer)``.
    :param url: the hub's URL; default :func:`grid_url`.
    :param timeout: seconds each call to the grid may take.
    :raises GridError: with the cause and the variable to change.
    """
    from selenium import webdriver
    from selenium.webdriver.remote.client_config import ClientConfig

    url = (url or grid_url()).rstrip("/")
    check_grid(url, timeout=min(timeout, 10.0))
    if options is None:
        options = chrome_options(layer)
    config = ClientConfig(url, timeout=int(timeout))
    try:
        driver = webdriver.Remote(
            command_executor=url, options=options, client_config=config
        )
    except Exception as e:
        text = str(e).strip().splitlines()[0] if str(e).strip() else repr(e)
        raise GridError(
            f"The Selenium Grid at {url} did not start a browser session"
            f" within {timeout:g} s ({text}): start a node that offers the"
            " browser asked for, or set GOCEPT_SELENIUM_GRID_URL to a grid"
            " that has one."
        ) from None
    try:
        check_reachable(driver, layer)
    except BaseException:
        driver.quit()
        raise
    return driver
