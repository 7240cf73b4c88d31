"""Log a browser in as a Plone user, without typing into the login form."""

from __future__ import annotations

import base64
from typing import Any

from gocept.httpserverlayer.plonetesting._layer import Error


class _Cookies:
    """Stands in for the response on which plone.session sets its cookie."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def setCookie(self, name: str, value: Any, **options: Any) -> None:
        if isinstance(value, bytes):
            value = value.decode("ascii")
        self.cookies[name] = str(value)


def auth_cookie(portal: Any, login: str) -> tuple[str, str]:
    """The name and value of the cookie that logs ``login`` in to
    ``portal``: plone.session's ticket, as its login form would set it.

    Made in the test's thread from the site's own session plugin and key
    ring; the server checks it like any other.
    """
    from zope.component.hooks import site

    plugin = getattr(portal.acl_users, "session", None)
    if plugin is None:
        raise Error(
            f"The site {portal.absolute_url()} has no plone.session plugin"
            " (acl_users/session) to make an auth cookie with: pass the"
            " user's password to log_in() to log in with HTTP basic"
            " authentication instead."
        )
    response = _Cookies()
    with site(portal):
        user = portal.acl_users.getUser(login)
        if user is not None:
            # What plone.session's login does once the password is checked.
            plugin._setupSession(user.getId(), response)
    if not response.cookies:
        raise Error(
            f"{login!r} is not a user of the site {portal.absolute_url()}:"
            " give the login of a user of the site's own user folder (such"
            " as plone.app.testing's TEST_USER_NAME), or, for a user of the"
            " Zope root (SITE_OWNER_NAME), pass the password to log_in()."
        )
    ((name, value),) = response.cookies.items()
    return name, value


def log_in(
    browser: Any, portal: Any, login: str, password: str | None = None
) -> None:
    """Log ``browser`` in to ``portal`` as the user ``login``.

    Without ``password``, with plone.session's auth cookie
    (:func:`auth_cookie`), as the login form would; with one, with an HTTP
    basic ``Authorization`` header on every request of the browser, which
    Zope's user folders take (also for users of the Zope root, such as
    ``SITE_OWNER_NAME``).

    :param browser: a Selenium WebDriver (Chromium), a Playwright page or
        browser context.
    :param portal: the site (plone.app.testing's ``portal`` resource, or
        pytest-plone's ``portal`` fixture); its ``absolute_url()`` is the
        server's URL when the layer under the test is ``HTTP_SERVER``.

    The layers of :mod:`gocept.httpserverlayer.browser` forget the cookie
    and the header after each test, as pytest-playwright's ``page`` does.
    """
    url = portal.absolute_url()
    if password is None:
        name, value = auth_cookie(portal, login)
        if hasattr(browser, "execute_cdp_cmd"):  # Selenium with Chromium
            browser.execute_cdp_cmd(
                "Network.setCookie",
                {"name": name, "value": value, "url": url, "path": "/"},
            )
        else:
            _context(browser).add_cookies(
                [{"name": name, "value": value, "url": url}]
            )
        return
    token = base64.b64encode(f"{login}:{password}".encode()).decode("ascii")
    headers = {"Authorization": f"Basic {token}"}
    if hasattr(browser, "execute_cdp_cmd"):
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd(
            "Network.setExtraHTTPHeaders", {"headers": headers}
        )
    else:
        _context(browser).set_extra_http_headers(headers)


def _context(browser: Any) -> Any:
    """The Playwright browser context of a page, or the context itself."""
    if hasattr(browser, "add_cookies"):
        return browser
    if hasattr(getattr(browser, "context", None), "add_cookies"):
        return browser.context
    raise TypeError(
        f"log_in() takes a Selenium WebDriver, a Playwright page or a"
        f" Playwright browser context, not {browser!r}."
    )
