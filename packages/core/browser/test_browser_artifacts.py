"""A failing browser test leaves its evidence where CI keeps it.

``BrowserTestCase`` saves a screenshot, the page source and the browser
console of a failing test into ``$GOCEPT_ARTIFACTS_DIR`` (default:
``artifacts/`` at the top of the repository). This runs a test that fails
on purpose, with each tool, and looks at what it left.
"""

import os
import pathlib
import tempfile
import unittest
import unittest.mock

from browsers import BrowserTestCase
from browsers import with_browsers

import gocept.httpserverlayer.static

PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
<body>
  <p id="state">broken</p>
  <script>console.error("marker from the page");</script>
</body></html>
"""

LAYERS = with_browsers(gocept.httpserverlayer.static.STATIC_FILES, __name__)


class ArtifactScenarios:
    def test_failure_saves_screenshot_page_and_console(self):
        root = pathlib.Path(self.layer["documentroot"])
        (root / "page.html").write_text(PAGE)
        directory = self.enterContext(tempfile.TemporaryDirectory())
        self.enterContext(
            unittest.mock.patch.dict(
                os.environ, {"GOCEPT_ARTIFACTS_DIR": directory}
            )
        )

        class FailingTest(BrowserTestCase):
            layer = self.layer

            def test_fails(self):
                self.browser.open(self.url("/page.html"))
                self.assertEqual("works", self.browser.text("#state"))

        test = FailingTest("test_fails")
        result = unittest.TestResult()
        with unittest.mock.patch("sys.stderr"):  # "Artifacts saved: ..."
            test.run(result)
        self.assertEqual(1, len(result.failures), result.errors)

        stem = test.artifact_stem()
        self.assertTrue(stem.startswith(directory))
        self.assertEqual(
            sorted(
                f"{stem}{suffix}"
                for suffix in (".console.log", ".html", ".png")
            ),
            sorted(str(p) for p in pathlib.Path(directory).iterdir()),
        )
        with open(f"{stem}.png", "rb") as f:
            self.assertEqual(b"\x89PNG", f.read(4))
        with open(f"{stem}.html", encoding="utf-8") as f:
            self.assertIn('<p id="state">broken</p>', f.read())
        with open(f"{stem}.console.log", encoding="utf-8") as f:
            console = f.read()
        self.assertIn("marker from the page", console)


class SeleniumArtifactTest(ArtifactScenarios, BrowserTestCase):
    layer = LAYERS["selenium"]


class PlaywrightArtifactTest(ArtifactScenarios, BrowserTestCase):
    layer = LAYERS["playwright"]
