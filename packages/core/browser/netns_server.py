"""Serve a small WSGI app with ``wsgi.Layer`` until told to stop.

Run by test_browser_netns.py inside a network namespace
(``ip netns exec NS python netns_server.py``). It prints one JSON line with
the layer's ``http_address`` once the server answers, then serves until its
standard input is closed (or for two minutes at most), and tears the layer
down. ``GOCEPT_HTTP_APP_HOST`` and ``GOCEPT_HTTP_BIND_HOST`` come from the
environment, as in a test run.
"""

import json
import sys
import threading

import gocept.httpserverlayer.wsgi

LAYER = gocept.httpserverlayer.wsgi.Layer(name="NetnsLayer", module=__name__)

# The page fetches /data from the address the layer advertises, as a page
# whose links the server built would.
PAGE = """\
<!DOCTYPE html>
<html><head><link rel="icon" href="data:,"></head>
<body>
  <p id="out">The script did not run.</p>
  <script>
    fetch("http://{address}/data").then((r) => r.text()).then((text) => {{
      document.getElementById("out").textContent = text;
      document.body.dataset.state = "done";
    }}, (error) => {{ document.body.dataset.state = `${{error}}`; }});
  </script>
</body></html>
"""


def app(environ, start_response):
    if environ["PATH_INFO"] == "/data":
        body = f"served by {LAYER['http_address']}".encode()
        content_type = "text/plain"
    else:
        body = PAGE.format(address=LAYER["http_address"]).encode()
        content_type = "text/html; charset=utf-8"
    start_response(
        "200 OK",
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
    )
    return [body]


def main():
    LAYER.wsgi_app = app
    LAYER.setUp()
    try:
        print(json.dumps({"http_address": LAYER["http_address"]}), flush=True)
        stopped = threading.Event()

        def wait_for_eof():
            sys.stdin.read()
            stopped.set()

        threading.Thread(target=wait_for_eof, daemon=True).start()
        stopped.wait(timeout=120)
    finally:
        LAYER.tearDown()


if __name__ == "__main__":
    main()
