"""A failing test that drives a browser leaves a screenshot, the page and
the console log: pytest-playwright's page and a Selenium WebDriver fixture
alike. Runs a session of its own that fails on purpose."""

import textwrap

import pytest

# Runs pytest sessions of its own: once, not again under -n (tox.ini).
pytestmark = pytest.mark.whole_session

pytest.importorskip("pytest_playwright")

MODULE = textwrap.dedent(
    """
    import pytest
    from gocept.httpserverlayer import browser

    PAGE = (b"<!DOCTYPE html><html><head><link rel=icon href='data:,'>"
            b"</head><body><p id=state>broken</p>"
            b"<script>console.error('marker from the page')</script>"
            b"</body></html>")

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/html")])
        return [PAGE]

    @pytest.fixture(scope="session")
    def http_live_app():
        return app

    @pytest.fixture(scope="session")
    def browser_type_launch_args(browser_type_launch_args):
        return {**browser_type_launch_args,
                **browser.playwright_launch_args()}

    @pytest.fixture(scope="session")
    def webdriver():
        driver = browser.start_selenium()
        yield driver
        driver.quit()

    def test_page(page, http_live_server):
        page.goto(http_live_server.url)
        assert page.inner_text("#state") == "works"

    def test_webdriver(webdriver, http_live_server):
        webdriver.get(http_live_server.url)
        assert "works" in webdriver.page_source
    """
)


def test_failing_browser_tests_leave_their_artifacts(
    pytester, tmp_path, monkeypatch
):
    artifacts = tmp_path / "artifacts"
    monkeypatch.setenv("GOCEPT_ARTIFACTS_DIR", str(artifacts))
    pytester.makepyfile(test_fails=MODULE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*browser artifacts (page)*",
            f"{artifacts}/test_fails.py__test_page_chromium_.png",
        ]
    )
    for test in ("test_page_chromium_", "test_webdriver"):
        stem = artifacts / f"test_fails.py__{test}"
        png = stem.with_name(stem.name + ".png").read_bytes()
        html = stem.with_name(stem.name + ".html").read_text()
        console = stem.with_name(stem.name + ".console.log").read_text()
        assert png.startswith(b"\x89PNG")
        assert '<p id="state">broken</p>' in html
        assert "marker from the page" in console, console
