"""FixupMiddleware, in-process and through real servers and repoze.retry.

The cases of :mod:`cases` that fail without the middleware are asserted both
ways: failing without it (so the test proves something on the installed
releases) and passing with it.
"""

import io
import os
import sys
import tempfile
import time
import unittest
import urllib.request
import wsgiref.util

import cases

import gocept.httpserverlayer.wsgi
from gocept.httpserverlayer.zope2 import FixupMiddleware


class Recorder:
    """A WSGI app that records its environ and answers as it is told."""

    def __init__(self, headers=(), body=(b"ok",)):
        self.headers = list(headers)
        self.body = body
        self.environ = None

    def __call__(self, environ, start_response):
        self.environ = environ
        start_response(
            "200 OK", [("Content-Type", "text/plain")] + self.headers
        )
        return self.body


def environ(**extra):
    env = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    wsgiref.util.setup_testing_defaults(env)
    env.update(extra)
    return env


class StartResponse:
    def __init__(self):
        self.calls = []

    def __call__(self, *args):
        self.calls.append(args)
        return self.write

    def write(self, data):
        self.calls.append(("write", data))


class ContentLengthTest(unittest.TestCase):
    def fixed(self, value):
        app = Recorder()
        FixupMiddleware(app)(environ(CONTENT_LENGTH=value), StartResponse())
        return app.environ.get("CONTENT_LENGTH")

    def test_empty_content_length_is_removed(self):
        self.assertIsNone(self.fixed(""))
        self.assertIsNone(self.fixed("  "))

    def test_merged_duplicate_content_length_becomes_one_number(self):
        self.assertEqual("12", self.fixed("12, 12"))
        self.assertEqual("12", self.fixed("12,12"))

    def test_plain_content_length_is_kept(self):
        self.assertEqual("12", self.fixed("12"))
        self.assertEqual("0", self.fixed("0"))

    def test_missing_content_length_stays_missing(self):
        app = Recorder()
        FixupMiddleware(app)(environ(), StartResponse())
        self.assertNotIn("CONTENT_LENGTH", app.environ)

    def test_conflicting_content_length_is_a_400_naming_it(self):
        for value in ("12, 13", "abc", "-1", "\xb2"):
            app = Recorder()
            start_response = StartResponse()
            body = FixupMiddleware(app)(
                environ(CONTENT_LENGTH=value), start_response
            )
            self.assertIsNone(app.environ)
            self.assertEqual("400 Bad Request", start_response.calls[0][0])
            self.assertEqual(
                f"Bad Content-Length {value!r}: send one non-negative number"
                " of bytes, once.",
                b"".join(body).decode(),
            )


class ResponseHeadersTest(unittest.TestCase):
    def test_hop_by_hop_headers_are_removed(self):
        app = Recorder(
            [
                ("Connection", "close"),
                ("keep-alive", "timeout=5"),
                ("Transfer-Encoding", "chunked"),
                ("X-Kept", "yes"),
            ]
        )
        start_response = StartResponse()
        FixupMiddleware(app)(environ(), start_response)
        status, headers = start_response.calls[0]
        self.assertEqual(
            [("Content-Type", "text/plain"), ("X-Kept", "yes")], headers
        )

    def test_start_response_with_two_arguments(self):
        # Zope's publisher calls start_response(status, headers).
        start_response = StartResponse()
        FixupMiddleware(Recorder())(environ(), start_response)
        self.assertEqual(2, len(start_response.calls[0]))

    def test_start_response_with_exc_info_passes_it_on(self):
        def app(environ, start_response):
            try:
                raise ValueError("boom")
            except ValueError:
                start_response(
                    "500 Error", [("Connection", "close")], sys.exc_info()
                )
            return [b""]

        start_response = StartResponse()
        FixupMiddleware(app)(environ(), start_response)
        status, headers, exc_info = start_response.calls[0]
        self.assertEqual([], headers)
        self.assertIs(ValueError, exc_info[0])

    def test_write_callable_is_the_servers(self):
        def app(environ, start_response):
            start_response("200 OK", [])("written")
            return []

        start_response = StartResponse()
        FixupMiddleware(app)(environ(), start_response)
        self.assertEqual(("write", "written"), start_response.calls[1])


def wait_for(condition, timeout=5.0):
    """Wait until ``condition()`` is true: the server closes an iterable
    after the client has the last byte."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{condition} still false after {timeout}s")
        time.sleep(0.001)


class Body:
    """An app iterable that counts close() calls."""

    def __init__(self, chunks):
        self.chunks = chunks
        self.closed = 0

    def __iter__(self):
        return iter(self.chunks)

    def close(self):
        self.closed += 1


class BodyTest(unittest.TestCase):
    layer = gocept.httpserverlayer.wsgi.Layer(
        name="FixupBody", module=__name__, wsgi_app=Recorder()
    )

    def get(self, app):
        self.layer["httpd"].set_app(FixupMiddleware(app))
        url = f"http://{self.layer['http_address']}/"
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read()

    def test_app_iterable_is_returned_untouched(self):
        body = Body([b"a", b"b"])
        result = FixupMiddleware(Recorder(body=body))(
            environ(), StartResponse()
        )
        self.assertIs(body, result)

    def test_close_is_called_exactly_once_by_the_server(self):
        body = Body([b"a", b"b"])
        self.assertEqual(b"ab", self.get(Recorder(body=body)))
        wait_for(lambda: body.closed)
        time.sleep(0.05)  # time for a second close() to show
        self.assertEqual(1, body.closed)

    def test_generator_streams_through(self):
        def chunks():
            yield b"one "
            yield b"two"

        self.assertEqual(b"one two", self.get(Recorder(body=chunks())))

    def test_file_wrapper_reaches_the_server(self):
        seen = []

        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            wrapped = environ["wsgi.file_wrapper"](open(path, "rb"))
            seen.append(wrapped)
            return wrapped

        with tempfile.TemporaryDirectory() as directory:
            path = os.path.join(directory, "file.txt")
            with open(path, "wb") as f:
                f.write(b"x" * 100_000)
            self.assertEqual(b"x" * 100_000, self.get(app))
        wait_for(lambda: seen[0].filelike.closed)


class RepozeRetryTest(unittest.TestCase):
    """The cases of docs/zope2.rst's table, on the repoze.retry installed."""

    def test_merged_duplicate_content_length_fails_without_middleware(self):
        name = "Content-Length sent twice"
        self.assertEqual("ValueError", cases.directly(name, fixup=False))
        self.assertEqual("200", cases.directly(name, fixup=True))

    def test_hop_by_hop_header_fails_on_wsgiref_without_middleware(self):
        name = "Connection in the response"
        self.assertEqual("500", cases.over_http("wsgiref", name, fixup=False))
        self.assertEqual("200", cases.over_http("wsgiref", name, fixup=True))

    def test_hop_by_hop_header_fails_on_waitress_without_middleware(self):
        name = "Connection in the response"
        self.assertEqual("500", cases.over_http("waitress", name, fixup=False))
        self.assertEqual("200", cases.over_http("waitress", name, fixup=True))

    def test_every_case_passes_everywhere_with_middleware(self):
        # Also the regression cases that fail nowhere today, such as the
        # empty CONTENT_LENGTH that repoze.retry before 1.3 failed on.
        for name in cases.CASES:
            with self.subTest(name):
                self.assertEqual("200", cases.directly(name, fixup=True))
                for server in ("wsgiref", "wsgi.Layer"):
                    self.assertEqual(
                        "200", cases.over_http(server, name, fixup=True)
                    )

    def test_empty_content_length_from_wsgiref_reaches_app_removed(self):
        app = Recorder()
        with cases.wsgiref_server(FixupMiddleware(app)) as address:
            cases.send(address, b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
        self.assertNotIn("CONTENT_LENGTH", app.environ)

    def test_body_reaches_app_behind_repoze_retry(self):
        stack = cases.stack(cases.echo_app, fixup=True)
        start_response = StartResponse()
        env = environ(
            REQUEST_METHOD="POST",
            CONTENT_LENGTH="5, 5",
            **{"wsgi.input": io.BytesIO(b"hello")},
        )
        self.assertEqual([b"read 5"], list(stack(env, start_response)))
