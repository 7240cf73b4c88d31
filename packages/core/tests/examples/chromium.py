"""Where Debian's Chromium is and how it runs here: shared by the examples
and the browser env (packages/core/browser), which puts packages/core/tests
on its path. Imports nothing, so that a missing Selenium or Playwright is
reported by the tests that need them."""

import os

CHROMIUM = os.environ.get("CHROMIUM_BINARY", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")

# Headless in a container without a GPU, a sandbox or a large /dev/shm, and
# without the background traffic a desktop browser sends to the internet.
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
)

# Otherwise Selenium Manager tries to reach an outside host, even though we
# name the browser and the driver by path.
SELENIUM_ENVIRON = {"SE_OFFLINE": "true", "SE_AVOID_STATS": "true"}
