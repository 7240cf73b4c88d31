"""The servers measured: each started and stopped in-process by the runner.

Every subject has the same shape:

    subject = make_subject(name, threads=None)
    subject.prepare()                        # imports, not timed
    port = subject.start(app_kind, srcdir)   # "hello", "sleep", "static"
                                             # or "custom" (layers only)
    subject.ca_bundle                        # CA to trust (HTTPS), or None
    subject.test_setup(); ...requests...; subject.test_teardown()
    subject.stop()

Layers (ours and 4.0, the same code run by two interpreters) are used through
their public API only.  Imports are lazy: the 4.0 interpreter has neither
waitress nor cheroot, and ours is not importable there.
"""

import functools
import http.server
import os
import shutil
import socket
import threading
import time

HOST = "127.0.0.1"
HELLO = b"Hello, world!"
SLEEP = 0.05


# -- WSGI applications -----------------------------------------------------


def hello_app(environ, start_response):
    start_response(
        "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")]
    )
    return [HELLO]


def sleep_app(environ, start_response):
    time.sleep(SLEEP)
    return hello_app(environ, start_response)


class HelloHandler(http.server.BaseHTTPRequestHandler):
    """The hello answer from a plain ``http.server`` handler, as 4.x users
    pass one to custom.Layer: keep-alive (HTTP/1.1 with Content-Length)."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(HELLO)))
        self.end_headers()
        self.wfile.write(HELLO)

    def log_message(self, *args):
        pass


def make_file_app(root):
    """A minimal static-file WSGI app for bare WSGI engines (file_wrapper)."""

    def file_app(environ, start_response):
        name = os.path.basename(environ.get("PATH_INFO", ""))
        try:
            f = open(os.path.join(root, name), "rb")
        except OSError:
            start_response("404 Not Found", [("Content-Length", "0")])
            return [b""]
        size = os.fstat(f.fileno()).st_size
        start_response(
            "200 OK",
            [
                ("Content-Type", "application/octet-stream"),
                ("Content-Length", str(size)),
            ],
        )
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:
            return wrapper(f, 1 << 18)
        return _FileIter(f)

    return file_app


class _FileIter:
    def __init__(self, f):
        self.f = f

    def __iter__(self):
        return self

    def __next__(self):
        data = self.f.read(1 << 18)
        if not data:
            raise StopIteration
        return data

    def close(self):
        self.f.close()


def wsgi_app_for(app_kind, docroot=None):
    if app_kind == "hello":
        return hello_app
    if app_kind == "sleep":
        return sleep_app
    return make_file_app(docroot)


def copy_files(srcdir, dstdir):
    for name in os.listdir(srcdir):
        shutil.copyfile(os.path.join(srcdir, name), os.path.join(dstdir, name))


# -- subjects ---------------------------------------------------------------


class Subject:
    """Base: a server in a thread of this process."""

    ca_bundle = None  # set by a subject serving HTTPS, after start()

    def prepare(self):
        """Import what start() needs (the lifecycle times the first cycle
        apart, with the layer module already imported)."""

    def test_setup(self):
        pass

    def test_teardown(self):
        pass


class LayerSubject(Subject):
    """gocept.httpserverlayer's wsgi, static or custom layer via its API.

    Ours or 4.0, depending on the interpreter that runs the runner.  Static:
    the layer's own temporary document root (the 4.0 layer empties a given
    root at every testSetUp), filled after testSetUp as a test would.
    With https=True (ours only), wsgi.Layer(https=True): a new CA and server
    certificate at every setUp, the CA in the ``ca_bundle`` resource.
    """

    def __init__(self, https=False):
        self.https = https

    def prepare(self):
        import gocept.httpserverlayer.wsgi  # noqa: F401

    def start(self, app_kind, srcdir=None):
        if app_kind == "static":
            import gocept.httpserverlayer.static as static

            self.layer = static.Layer(name="BenchStatic")
            self.layer.setUp()
            self.layer.testSetUp()
            copy_files(srcdir, self.layer["documentroot"])
            self.in_test = True
        elif app_kind == "custom":
            import gocept.httpserverlayer.custom as custom

            self.layer = custom.Layer(HelloHandler, name="BenchCustom")
            self.layer.setUp()
            self.in_test = False
        else:
            import gocept.httpserverlayer.wsgi as wsgi

            if self.https:
                self.layer = wsgi.Layer(
                    name="BenchHTTPS",
                    wsgi_app=wsgi_app_for(app_kind),
                    https=True,
                )
            else:
                self.layer = wsgi.Layer(name="Bench")
                self.layer.wsgi_app = wsgi_app_for(app_kind)
            self.layer.setUp()
            self.in_test = False
        if self.https:
            self.ca_bundle = self.layer["ca_bundle"]
        return int(self.layer["http_port"])

    def test_setup(self):
        if not self.in_test:
            self.layer.testSetUp()
            self.in_test = True

    def test_teardown(self):
        if self.in_test:
            self.layer.testTearDown()
            self.in_test = False

    def stop(self):
        self.test_teardown()
        self.layer.tearDown()


class WaitressSubject(Subject):
    def __init__(self, threads=None):
        self.threads = threads or 4

    def start(self, app_kind, srcdir=None):
        from waitress.server import create_server

        self.server = create_server(
            wsgi_app_for(app_kind, srcdir),
            host=HOST,
            port=0,
            threads=self.threads,
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        return self.server.effective_port

    def stop(self):
        server = self.server

        def close_all():  # runs in the loop thread: empty the map
            for disp in list(server._map.values()):
                try:
                    disp.close()
                except OSError:
                    pass

        # Workers first: one finishing a task pulls the trigger, which must
        # still be open then.
        server.task_dispatcher.shutdown(timeout=5)
        try:
            server.trigger.pull_trigger(close_all)
        except OSError:
            # the loop was awake already, ran close_all and closed the
            # trigger between the thunk's queueing and our write: done
            pass
        self.thread.join(10)


class CherootSubject(Subject):
    def __init__(self, threads=None):
        self.threads = threads or 10  # cheroot's default

    def start(self, app_kind, srcdir=None):
        import cheroot.wsgi

        self.server = cheroot.wsgi.Server(
            (HOST, 0), wsgi_app_for(app_kind, srcdir), numthreads=self.threads
        )
        self.server.prepare()
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()
        return self.server.bind_addr[1]

    def stop(self):
        # cheroot's stop() waits for its selector loop, which wakes every
        # 0.5 s (expiration_interval), in 10 ms sleeps.  So that the engine
        # shows what it can do, end the serve loop first (private flags, a
        # dummy connection to wake the selector), then let stop() clean up.
        server = self.server
        server._connections._stop_requested = True
        server.ready = False
        try:
            socket.create_connection(server.bind_addr[:2], timeout=1).close()
        except OSError:
            pass
        self.thread.join(10)
        server.ready = True
        server.stop()


def _stop_socketserver(server, thread):
    """Stop serve_forever at once instead of after its 0.5 s poll.

    Sets socketserver's shutdown flag and wakes the selector with a dummy
    connection; serve_forever checks the flag before accepting it.
    """
    server._BaseServer__shutdown_request = True
    try:
        socket.create_connection(server.server_address[:2], timeout=1).close()
    except OSError:
        pass
    thread.join(10)
    server.server_close()
    server._BaseServer__shutdown_request = False


class StdlibWSGISubject(Subject):
    """wsgiref on socketserver.ThreadingMixIn: a thread per connection."""

    def start(self, app_kind, srcdir=None):
        import socketserver
        from wsgiref.simple_server import WSGIRequestHandler
        from wsgiref.simple_server import WSGIServer

        class Handler(WSGIRequestHandler):
            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, WSGIServer):
            daemon_threads = True

        self.server = Server((HOST, 0), Handler)
        self.server.set_app(wsgi_app_for(app_kind, srcdir))
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True
        )
        self.thread.start()
        return self.server.server_port

    def stop(self):
        _stop_socketserver(self.server, self.thread)


class StdlibStaticSubject(Subject):
    """http.server: ThreadingHTTPServer + SimpleHTTPRequestHandler, HTTP/1.1"""

    def start(self, app_kind, srcdir=None):
        from http.server import SimpleHTTPRequestHandler
        from http.server import ThreadingHTTPServer

        class Handler(SimpleHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive; the default is 1.0

            def log_message(self, *args):
                pass

        handler = functools.partial(Handler, directory=srcdir)
        self.server = ThreadingHTTPServer((HOST, 0), handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, daemon=True
        )
        self.thread.start()
        return self.server.server_port

    def stop(self):
        _stop_socketserver(self.server, self.thread)


def make_subject(name, threads=None):
    if name in ("ours", "4.0"):
        return LayerSubject()
    if name == "ours-https":
        return LayerSubject(https=True)
    if name == "waitress":
        return WaitressSubject(threads)
    if name == "cheroot":
        return CherootSubject(threads)
    if name == "stdlib":
        return StdlibWSGISubject()
    if name == "stdlib-http.server":
        return StdlibStaticSubject()
    if name == "asyncio":
        from asyncio_ceiling import AsyncioSubject

        return AsyncioSubject()
    if name.startswith("asgi-"):
        from asgi_subjects import make_asgi_subject

        return make_asgi_subject(name)
    raise ValueError(f"unknown subject {name!r}")
