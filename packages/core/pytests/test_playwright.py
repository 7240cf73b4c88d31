"""pytest-playwright's own ``page`` against ``http_live_server``, driving
Debian's Chromium (nothing downloaded): the example of docs/pytest.rst.
conftest.py has the fixtures: http_live_app, base_url and
browser_type_launch_args."""

import pytest

pytest.importorskip("pytest_playwright")


def test_page_posts_to_the_api(page, http_live_server):
    page.goto("/page")
    assert page.title() == "Live"
    # The page's script posts after goto() returned: wait for it.
    found = http_live_server.requests.wait("POST", "/api/hello", timeout=10)
    assert found.json() == {"n": 1}


def test_each_test_sees_only_its_own_requests(page, http_live_server):
    assert len(http_live_server.requests) == 0
    page.goto("/page")
    http_live_server.requests.wait("POST", "/api/hello", timeout=10)
    assert [r.path for r in http_live_server.requests] == [
        "/page",
        "/api/hello",
    ]
