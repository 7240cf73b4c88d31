"""Fetch a URL with an HTTP client or a headless Chromium; print the result.

Run by test_browser_netns.py inside a network namespace
(``ip netns exec NS python netns_client.py TOOL URL``). TOOL is ``http``
(urllib: prints the status and the body), ``playwright`` or ``selenium``
(Chromium with a fresh profile: prints the text of ``#out`` once the page's
script has fetched /data). It exits 1 and prints the error when the URL
cannot be reached; every wait is bounded.
"""

import sys
import tempfile
import urllib.request

import browsers

TIMEOUT = 10


def http(url):
    with urllib.request.urlopen(url, timeout=TIMEOUT) as response:
        return f"{response.status} {response.read().decode()}"


def chromium(factory, url):
    with tempfile.TemporaryDirectory(prefix="gocept-chromium-") as profile:
        browser = factory(profile)
        try:
            browser.open(url)
            state = browser.wait(
                "document.body.dataset.state",
                "The page's fetch did not finish.",
                timeout=TIMEOUT,
            )
            return f"{state} {browser.text('#out')}"
        finally:
            browser.quit()


def main(tool, url):
    try:
        if tool == "http":
            print(http(url))
        elif tool == "playwright":
            print(chromium(browsers.PlaywrightBrowser, url))
        elif tool == "selenium":
            print(chromium(browsers.SeleniumBrowser, url))
        else:
            raise SystemExit(f"unknown tool {tool!r}")
    except Exception as error:
        print(f"error {error!r}".splitlines()[0])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
