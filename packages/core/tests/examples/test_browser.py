"""Point a real headless Chromium at pages served by the layers.

``browser.SeleniumLayer`` (the ``selenium`` extra) starts Debian's headless
Chromium once for the tests of the layers built on it, and resets it after
each test; ``browser.BrowserTestCase`` saves a screenshot, the page and the
browser console of a failing test into ``artifacts/``. The first page
fetches six resources at once, which the server must serve concurrently;
the second loads an ES module and a stylesheet from ``STATIC_FILES``, which
Chromium only uses when their MIME types are right.
"""

import os.path
import threading

from selenium.webdriver.common.by import By
from selenium.webdriver.support.wait import WebDriverWait

import gocept.httpserverlayer.static
import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer import browser

PAGE = """\
<!DOCTYPE html>
<html>
  <head><link rel="icon" href="data:,"></head>
  <body>
    <ul id="results"></ul>
    <script>
      const list = document.getElementById("results");
      const fetchText = (n) => fetch(`/r/${n}`).then((r) => r.text());
      Promise.all([0, 1, 2, 3, 4, 5].map(fetchText)).then((texts) => {
        for (const text of texts) {
          list.append(Object.assign(document.createElement("li"), {
            textContent: text,
          }));
        }
        list.dataset.state = "done";
      }, (error) => { list.dataset.state = `${error}`; });
    </script>
  </body>
</html>
"""

# Each resource waits here until all six requests are being served.
BARRIER = threading.Barrier(6, timeout=10)


def resource(number):
    try:
        BARRIER.wait()
    except threading.BrokenBarrierError:
        return "500 Internal Server Error", f"served alone {number}"
    return "200 OK", f"ok {number}"


def app(environ, start_response):
    path = environ["PATH_INFO"]
    content_type = "text/plain"
    if path == "/":
        status, text, content_type = "200 OK", PAGE, "text/html"
    elif path.startswith("/r/"):
        status, text = resource(path.removeprefix("/r/"))
    else:
        status, text = "404 Not Found", "Not found"
    body = text.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", f"{content_type}; charset=utf-8"),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="ConcurrentHTTPLayer", module=__name__
)
HTTP_LAYER.wsgi_app = app

# The browser layer on the server layer: setUp starts Chromium after the
# server, and the tests get both.
BROWSER_LAYER = browser.SeleniumLayer(
    bases=(HTTP_LAYER,), name="ConcurrentBrowserLayer", module=__name__
)


class ConcurrentFetchTest(browser.BrowserTestCase):
    layer = BROWSER_LAYER

    def setUp(self):
        super().setUp()
        self.driver = self.layer["webdriver"]
        BARRIER.reset()

    def test_six_resources_are_served_at_once(self):
        self.driver.get(self.layer["http_url"] + "/")
        results = self.driver.find_element(By.ID, "results")
        state = WebDriverWait(self.driver, 20).until(
            lambda driver: results.get_attribute("data-state"),
            message="The page did not finish its fetches.",
        )
        self.assertEqual("done", state)
        items = results.find_elements(By.TAG_NAME, "li")
        self.assertEqual(
            [f"ok {n}" for n in range(6)], [item.text for item in items]
        )


INDEX_HTML = """\
<!DOCTYPE html>
<html>
  <head>
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="style.css">
    <script type="module" src="app.mjs"></script>
  </head>
  <body><p id="greeting">The module did not run.</p></body>
</html>
"""

APP_MJS = """\
document.getElementById("greeting").textContent = "Hello from a module";
document.body.dataset.module = "ran";
"""

STYLE_CSS = "#greeting { color: rgb(0, 128, 0); }\n"

STATIC_BROWSER_LAYER = browser.SeleniumLayer(
    bases=(gocept.httpserverlayer.static.STATIC_FILES,),
    name="StaticFilesBrowserLayer",
    module=__name__,
)


class StaticFilesTest(browser.BrowserTestCase):
    layer = STATIC_BROWSER_LAYER

    def setUp(self):
        super().setUp()
        self.driver = self.layer["webdriver"]

    def write(self, name, text):
        path = os.path.join(self.layer["documentroot"], name)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)

    def test_module_and_stylesheet_are_used(self):
        self.write("index.html", INDEX_HTML)
        self.write("app.mjs", APP_MJS)
        self.write("style.css", STYLE_CSS)
        self.driver.get(self.layer["http_url"] + "/index.html")
        WebDriverWait(self.driver, 20).until(
            lambda driver: driver.execute_script(
                "return document.body.dataset.module"
            ),
            message="app.mjs did not run (see the browser console).",
        )
        greeting = self.driver.find_element(By.ID, "greeting")
        self.assertEqual("Hello from a module", greeting.text)
        self.assertEqual(
            "rgba(0, 128, 0, 1)", greeting.value_of_css_property("color")
        )
