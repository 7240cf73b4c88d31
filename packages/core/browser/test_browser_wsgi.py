"""A real Chromium against ``wsgi.Layer``: the ways users' apps are used.

Every scenario runs twice, driven by Selenium and by Playwright: six
concurrent fetches, a form POST answered by a 303 redirect, a cookie round
trip, a file upload and a streamed (chunked) response.
"""

import email.parser
import email.policy
import hashlib
import html
import pathlib
import tempfile
import threading
import urllib.parse

from browsers import BrowserTestCase
from browsers import with_browsers

import gocept.httpserverlayer.wsgi

# -- the application ---------------------------------------------------------

CONCURRENT_PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
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
</body></html>
"""

# Each of the six resources waits here until all six are being served at
# once: a server that answers one request at a time fails the test.
BARRIER = threading.Barrier(6, timeout=10)

FORM_PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
<body>
  <form method="post" action="/form">
    <input id="name" name="name">
    <button id="send" type="submit">Send</button>
  </form>
</body></html>
"""

UPLOAD_PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
<body>
  <form method="post" action="/upload" enctype="multipart/form-data">
    <input id="title" name="title">
    <input id="file" name="file" type="file">
    <button id="send" type="submit">Upload</button>
  </form>
</body></html>
"""

# The page reads the streamed response chunk by chunk. When the first chunk
# has arrived, it fetches /stream/ack, and only then does the app send the
# rest: if the server held the body back until the app's generator ended,
# the first chunk would never arrive in time.
STREAM_PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
<body>
  <pre id="out"></pre>
  <script>
    const out = document.getElementById("out");
    (async () => {
      const response = await fetch("/stream");
      document.body.dataset.encoding =
        response.headers.get("transfer-encoding");
      const reader = response.body.pipeThrough(new TextDecoderStream())
        .getReader();
      let acked = false;
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        out.textContent += value;
        if (!acked && out.textContent.includes("first")) {
          acked = true;
          await fetch("/stream/ack");
        }
      }
      document.body.dataset.state = "done";
    })().catch((error) => { document.body.dataset.state = `${error}`; });
  </script>
</body></html>
"""

STREAM_ACK = threading.Event()


def stream():
    yield b"first\n"
    if not STREAM_ACK.wait(timeout=10):
        yield b"the browser did not get the first chunk in time\n"
        return
    for n in range(3):
        yield f"part {n}\n".encode()
    yield b"last\n"


def parse_multipart(environ):
    """Return the parts of a multipart/form-data body by field name.

    The email package parses MIME; the request's Content-Type (with its
    boundary) becomes the head of the message.
    """
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    head = f"Content-Type: {environ['CONTENT_TYPE']}\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + body
    )
    return {
        part.get_param("name", header="content-disposition"): part
        for part in message.iter_parts()
    }


def page(start_response, text, status="200 OK", headers=()):
    body = text.encode("utf-8")
    start_response(
        status,
        [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            *headers,
        ],
    )
    return [body]


def app(environ, start_response):
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    if path == "/concurrent":
        return page(start_response, CONCURRENT_PAGE)
    if path.startswith("/r/"):
        number = path.removeprefix("/r/")
        try:
            BARRIER.wait()
        except threading.BrokenBarrierError:
            return page(start_response, f"served alone {number}", "500 Error")
        return page(start_response, f"ok {number}")
    if path == "/form" and method == "GET":
        return page(start_response, FORM_PAGE)
    if path == "/form" and method == "POST":
        length = int(environ.get("CONTENT_LENGTH") or 0)
        form = urllib.parse.parse_qs(
            environ["wsgi.input"].read(length).decode()
        )
        name = urllib.parse.quote(form.get("name", [""])[0])
        return page(
            start_response,
            "See other",
            "303 See Other",
            [("Location", f"/greeting?name={name}")],
        )
    if path == "/greeting":
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        name = html.escape(query.get("name", [""])[0])
        return page(start_response, f"<p id='greeting'>Hello, {name}!</p>")
    if path == "/cookie/set":
        return page(
            start_response,
            "<p id='set'>set</p>",
            headers=[("Set-Cookie", "flavour=oat meal; Path=/; SameSite=Lax")],
        )
    if path == "/cookie/show":
        cookie = html.escape(environ.get("HTTP_COOKIE", ""))
        return page(start_response, f"<p id='cookie'>{cookie}</p>")
    if path == "/upload" and method == "GET":
        return page(start_response, UPLOAD_PAGE)
    if path == "/upload" and method == "POST":
        parts = parse_multipart(environ)
        upload = parts["file"]
        data = upload.get_payload(decode=True)
        return page(
            start_response,
            f"<p id='title'>{html.escape(parts['title'].get_content())}</p>"
            f"<p id='filename'>{html.escape(upload.get_filename())}</p>"
            f"<p id='size'>{len(data)}</p>"
            f"<p id='sha256'>{hashlib.sha256(data).hexdigest()}</p>",
        )
    if path == "/stream/page":
        return page(start_response, STREAM_PAGE)
    if path == "/stream":
        # No Content-Length: the server sends the body chunked, each chunk
        # as the generator yields it.
        start_response("200 OK", [("Content-Type", "text/plain")])
        return stream()
    if path == "/stream/ack":
        STREAM_ACK.set()
        return page(start_response, "ok")
    return page(start_response, "Not found", "404 Not Found")


HTTP_LAYER = gocept.httpserverlayer.wsgi.Layer(
    name="BrowserWSGILayer", module=__name__
)
HTTP_LAYER.wsgi_app = app

LAYERS = with_browsers(HTTP_LAYER, __name__)

# -- the scenarios, run with each tool ----------------------------------------


class WSGIScenarios:
    def setUp(self):
        super().setUp()
        BARRIER.reset()
        STREAM_ACK.clear()

    def test_six_resources_are_served_at_once(self):
        self.browser.open(self.url("/concurrent"))
        state = self.browser.wait(
            "document.getElementById('results').dataset.state",
            "The page did not finish its fetches.",
        )
        self.assertEqual("done", state)
        self.assertEqual(
            [f"ok {n}" for n in range(6)],
            self.browser.run(
                "[...document.querySelectorAll('li')]"
                ".map((li) => li.textContent)"
            ),
        )

    def test_form_post_is_redirected_with_303(self):
        self.browser.open(self.url("/form"))
        self.browser.fill("#name", "Zoë & co")
        self.browser.click("#send")
        self.assertEqual("Hello, Zoë & co!", self.browser.text("#greeting"))
        self.assertIn("/greeting?name=", self.browser.url)
        requests = self.layer["http_requests"]
        requests.assert_requested("POST", "/form", status=303)
        requests.assert_requested("GET", "/greeting", status=200)

    def test_cookie_round_trip(self):
        self.browser.open(self.url("/cookie/set"))
        self.assertEqual(
            "flavour=oat meal", self.browser.run("document.cookie")
        )
        self.browser.open(self.url("/cookie/show"))
        self.assertEqual("flavour=oat meal", self.browser.text("#cookie"))
        found = self.layer["http_requests"].assert_requested(
            "GET", "/cookie/show"
        )
        self.assertEqual("flavour=oat meal", found.header("Cookie"))

    def test_file_upload(self):
        # Bytes that a careless multipart parser mangles: CR LF, NUL, bytes
        # that are not UTF-8, and something that looks like a boundary.
        data = b"line 1\r\nline 2\n\x00\xff\xfe\r\n--not-a-boundary\r\n" * 500
        directory = self.enterContext(tempfile.TemporaryDirectory())
        path = pathlib.Path(directory) / "report ü.bin"
        path.write_bytes(data)
        self.browser.open(self.url("/upload"))
        self.browser.fill("#title", "Quarterly")
        self.browser.upload("#file", path)
        self.browser.click("#send")
        self.assertEqual("Quarterly", self.browser.text("#title"))
        self.assertEqual("report ü.bin", self.browser.text("#filename"))
        self.assertEqual(str(len(data)), self.browser.text("#size"))
        self.assertEqual(
            hashlib.sha256(data).hexdigest(), self.browser.text("#sha256")
        )

    def test_streamed_response_arrives_progressively(self):
        self.browser.open(self.url("/stream/page"))
        state = self.browser.wait(
            "document.body.dataset.state", "The stream did not end."
        )
        self.assertEqual("done", state)
        self.assertEqual(
            "first\npart 0\npart 1\npart 2\nlast\n",
            self.browser.run("document.getElementById('out').textContent"),
        )
        self.assertEqual(
            "chunked", self.browser.run("document.body.dataset.encoding")
        )
        self.layer["http_requests"].assert_requested(
            "GET", "/stream/ack", status=200
        )


class SeleniumWSGITest(WSGIScenarios, BrowserTestCase):
    layer = LAYERS["selenium"]


class PlaywrightWSGITest(WSGIScenarios, BrowserTestCase):
    layer = LAYERS["playwright"]
