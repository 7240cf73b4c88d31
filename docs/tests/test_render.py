"""Every page of the built documentation renders in headless Chromium.

`tox -e docs` builds the pages into docs/_build/html and then runs this:
a static layer serves the build, and Chromium (Debian's, through Selenium;
the shipped ``gocept.httpserverlayer.browser.SeleniumLayer``) loads every
page. A page fails when
an image or an SVG picture does not load, or when the browser console
shows an error (a failed request, a script error). The pictures must be
there at all: the landing page has its three graphviz drawings and the
benchmark page its charts.
"""

import pathlib

from selenium.webdriver.support.wait import WebDriverWait

import gocept.httpserverlayer.static
from gocept.httpserverlayer import browser

BUILD = pathlib.Path(__file__).resolve().parents[1] / "_build" / "html"

# Resolves with the problems of the page: images that do not decode,
# <object> pictures (sphinx.ext.graphviz's SVG) without an SVG document.
CHECK_PAGE = """
const done = arguments[arguments.length - 1];
const problems = [];
const image = (img) => {
  img.loading = "eager";
  return img.decode().then(
    () => { if (!img.naturalWidth) problems.push(`empty image ${img.src}`); },
    () => problems.push(`broken image ${img.src}`));
};
const picture = (object) => new Promise((resolve) => {
  let checked = false;
  const check = () => {
    if (checked) return;
    checked = true;
    const root = object.contentDocument?.documentElement;
    if (root?.nodeName !== "svg") {
      problems.push(`broken picture ${object.data}`);
    }
    resolve();
  };
  if (object.contentDocument?.readyState === "complete") check();
  object.addEventListener("load", check);
  object.addEventListener("error", check);
  setTimeout(check, 5000);
});
Promise.all([
  ...Array.from(document.images, image),
  ...Array.from(document.querySelectorAll("object"), picture),
]).then(() => done(problems));
"""

COUNT = """
return {
  pictures: document.querySelectorAll("object.graphviz").length,
  charts: document.querySelectorAll("svg.benchmark-chart").length,
};
"""


def page_problems(driver, url):
    """What is wrong with the page at ``url``: broken pictures, errors."""
    driver.get(url)
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    driver.set_script_timeout(30)
    problems = driver.execute_async_script(CHECK_PAGE)
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            problems.append(f"console: {entry['message']}")
    return problems


class BuiltDocs(gocept.httpserverlayer.static.Layer):
    """The built documentation, served as a static site."""

    def setUp(self):
        if not (BUILD / "index.html").exists():
            raise RuntimeError(
                f"No built documentation in {BUILD}: build it first"
                " (tox -e docs, or make docs)."
            )
        super().setUp()


DOCS = BuiltDocs(str(BUILD), name="BuiltDocs", module=__name__)
DOCS_IN_CHROMIUM = browser.SeleniumLayer(
    bases=(DOCS,), name="DocsInChromium", module=__name__
)
BROKEN_IN_CHROMIUM = browser.SeleniumLayer(
    bases=(gocept.httpserverlayer.static.STATIC_FILES,),
    name="BrokenPageInChromium",
    module=__name__,
)


class BrowserTestCase(browser.BrowserTestCase):
    def setUp(self):
        super().setUp()
        self.driver = self.layer["webdriver"]


class BuiltDocsTest(BrowserTestCase):
    layer = DOCS_IN_CHROMIUM

    def url(self, page):
        return f"{self.layer['http_url']}/{page}"

    def test_every_page_renders_without_errors(self):
        pages = sorted(
            path.relative_to(BUILD).as_posix()
            for path in BUILD.rglob("*.html")
            if not path.relative_to(BUILD).parts[0].startswith("_")
        )
        self.assertIn("index.html", pages)
        problems = {}
        for page in pages:
            if found := page_problems(self.driver, self.url(page)):
                problems[page] = found
        self.assertEqual({}, problems)

    def test_the_pictures_are_there(self):
        self.assertEqual([], page_problems(self.driver, self.url("")))
        counts = self.driver.execute_script(COUNT)
        self.assertEqual(3, counts["pictures"])
        page_problems(self.driver, self.url("benchmarks.html"))
        counts = self.driver.execute_script(COUNT)
        self.assertGreaterEqual(counts["charts"], 3)


class CheckTest(BrowserTestCase):
    """The check finds what it looks for: a page made broken on purpose."""

    layer = BROKEN_IN_CHROMIUM

    def test_broken_image_picture_and_console_error_are_reported(self):
        root = pathlib.Path(self.layer["documentroot"])
        (root / "broken.html").write_text(
            '<!DOCTYPE html><html><head><link rel="icon" href="data:,">'
            "</head><body>"
            '<img src="missing.png" alt="">'
            '<object data="missing.svg" type="image/svg+xml"></object>'
            "<script>console.error('from the page')</script>"
            "</body></html>"
        )
        base = self.layer["http_url"]
        problems = page_problems(self.driver, f"{base}/broken.html")
        self.assertIn(f"broken image {base}/missing.png", problems)
        self.assertIn(f"broken picture {base}/missing.svg", problems)
        self.assertTrue(any("from the page" in p for p in problems), problems)
