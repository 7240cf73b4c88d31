"""``python -m gocept.httpserverlayer serve``, used from another process.

Each test starts the command on a layer of servelayers.py and talks to it
with urllib, as a Robot Framework or Playwright suite would: it adds
content, resets through the control endpoint, and sees the content gone;
SIGINT and SIGTERM tear the stack down. Every wait is bounded.
"""

import json
import pathlib
import select
import signal
import tempfile
import unittest

from gocept.httpserverlayer._testing.serving import call
from gocept.httpserverlayer._testing.serving import start_serve

HERE = pathlib.Path(__file__).resolve().parent
TIMEOUT = 30


class ServeTest(unittest.TestCase):
    def serve(self, *args, env=None):
        """Start the command; return the process (stopped at cleanup)."""
        self.log = pathlib.Path(tempfile.mkdtemp()) / "hooks.log"
        process = start_serve(
            *args,
            pythonpath=HERE,
            env={"SERVE_TEST_LOG": str(self.log), **(env or {})},
        )
        self.addCleanup(self.kill, process)
        return process

    def kill(self, process):
        if process.poll() is None:
            process.kill()
            process.wait(TIMEOUT)
        process.stdout.close()
        process.stderr.close()

    def first_line(self, process):
        ready, _, _ = select.select([process.stdout], [], [], TIMEOUT)
        line = process.stdout.readline() if ready else ""
        if not line:
            process.kill()
            self.fail(f"No output within {TIMEOUT} s: {process.stderr.read()}")
        return line

    def started(self, *args):
        process = self.serve(*args, "--json")
        return process, json.loads(self.first_line(process))

    def stop(self, process, sig=signal.SIGTERM):
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=TIMEOUT)
        return process.returncode, stderr

    def hooks(self):
        return self.log.read_text().split()


class ServeWSGITest(ServeTest):
    def test_json_line_says_where_and_what(self):
        process, info = self.started("servelayers.NOTES_HTTP", "--control")
        port = info["port"]
        self.assertEqual(
            {
                "layer": "servelayers.NotesHTTP",
                "url": f"http://localhost:{port}",
                "host": "localhost",
                "port": port,
                "address": f"localhost:{port}",
                "control": f"http://localhost:{port}/_gocept_httpserverlayer",
            },
            info,
        )

    def test_client_adds_a_note_resets_and_sees_it_gone(self):
        process, info = self.started("servelayers.NOTES_HTTP", "--control")
        notes = f"{info['url']}/notes"
        self.assertEqual((200, ["first"]), call("POST", notes, b"first"))
        self.assertEqual((200, ["first"]), call("GET", notes))
        self.assertEqual(
            (200, {"layer": "servelayers.NotesHTTP", "in_test": True}),
            call("POST", f"{info['control']}/reset"),
        )
        self.assertEqual((200, []), call("GET", notes))

    def test_teardown_and_setup_halves(self):
        process, info = self.started("servelayers.NOTES_HTTP", "--control")
        control = info["control"]
        call("POST", f"{info['url']}/notes", b"first")
        status, state = call("POST", f"{control}/test-teardown")
        self.assertEqual((200, False), (status, state["in_test"]))
        status, state = call("POST", f"{control}/test-setup")
        self.assertEqual((200, True), (status, state["in_test"]))
        self.assertEqual((200, []), call("GET", f"{info['url']}/notes"))

    def test_sigterm_ends_the_test_and_tears_the_stack_down(self):
        process, info = self.started("servelayers.NOTES_HTTP", "--control")
        call("POST", f"{info['control']}/reset")
        code, stderr = self.stop(process, signal.SIGTERM)
        self.assertEqual(0, code, stderr)
        self.assertIn("Stopped: the layers are torn down.", stderr)
        self.assertEqual(
            ["setUp", "testSetUp", "testTearDown", "testSetUp"]
            + ["testTearDown", "tearDown"],
            self.hooks(),
        )

    def test_sigint_tears_the_stack_down_too(self):
        process, info = self.started("servelayers.NOTES_HTTP")
        code, stderr = self.stop(process, signal.SIGINT)
        self.assertEqual(0, code, stderr)
        self.assertEqual(
            ["setUp", "testSetUp", "testTearDown", "tearDown"], self.hooks()
        )

    def test_layer_that_cannot_be_torn_down_does_not_keep_the_others(self):
        process, info = self.started("servelayers.STUBBORN_HTTP")
        code, stderr = self.stop(process)
        self.assertEqual(0, code, stderr)
        self.assertEqual(
            ["setUp", "testSetUp", "testTearDown", "stubborn", "tearDown"],
            self.hooks(),
        )

    def test_without_control_the_path_is_the_app_s(self):
        process, info = self.started("servelayers.NOTES_HTTP")
        self.assertNotIn("control", info)
        call("POST", f"{info['url']}/notes", b"kept")
        status, _ = call(
            "POST", f"{info['url']}/_gocept_httpserverlayer/reset"
        )
        self.assertEqual(404, status)  # the app's answer
        self.assertEqual((200, ["kept"]), call("GET", f"{info['url']}/notes"))

    def test_control_requests_are_not_recorded_nor_held(self):
        process, info = self.started("servelayers.NOTES_HTTP", "--control")
        control = info["control"]
        call("POST", f"{control}/test-teardown")
        # Between two tests the server holds the app's requests; the
        # control endpoint answers at once: it is what starts the next.
        self.assertEqual(200, call("POST", f"{control}/test-setup")[0])

    def test_human_output(self):
        process = self.serve("servelayers.NOTES_HTTP", "--control")
        line = self.first_line(process)
        self.assertRegex(
            line, r"^Serving servelayers\.NotesHTTP at http://localhost:\d+$"
        )
        # Printed at once with the first line, which is already read.
        self.assertRegex(
            process.stdout.readline(),
            r"^Control endpoint: http://localhost:\d+/_gocept_httpserverlayer$",
        )


class ControlErrorsTest(ServeTest):
    def setUp(self):
        self.process, self.info = self.started(
            "servelayers.NOTES_HTTP", "--control"
        )
        self.control = self.info["control"]

    def test_setup_while_a_test_runs_is_a_conflict(self):
        self.assertEqual(
            (
                409,
                {
                    "error": "A test is running already: end it first"
                    " (test-teardown), or start a fresh one with reset.",
                    "layer": "servelayers.NotesHTTP",
                    "in_test": True,
                },
            ),
            call("POST", f"{self.control}/test-setup"),
        )

    def test_teardown_without_a_test_is_a_conflict(self):
        call("POST", f"{self.control}/test-teardown")
        status, answer = call("POST", f"{self.control}/test-teardown")
        self.assertEqual(409, status)
        self.assertEqual(
            "No test is running: start one first (test-setup).",
            answer["error"],
        )

    def test_unknown_action(self):
        self.assertEqual(
            (
                404,
                {
                    "error": "Unknown control action 'rest': use reset,"
                    " test-setup, test-teardown."
                },
            ),
            call("POST", f"{self.control}/rest"),
        )

    def test_actions_take_post_only(self):
        self.assertEqual(
            (405, {"error": "Use POST here."}),
            call("GET", f"{self.control}/reset"),
        )

    def test_state(self):
        self.assertEqual(
            (200, {"layer": "servelayers.NotesHTTP", "in_test": True}),
            call("GET", self.control),
        )


class ControlImpossibleTest(ServeTest):
    def test_custom_layer_with_control_is_refused_at_start(self):
        process = self.serve("servelayers.CUSTOM", "--control")
        _, stderr = process.communicate(timeout=TIMEOUT)
        self.assertEqual(2, process.returncode)
        self.assertEqual(
            "error: --control needs a layer served by the WSGI or ASGI"
            " engine (wsgi.Layer, static.Layer, HTTP_SERVER, asgi.Layer), but"
            " servelayers.Custom hands every request to its own request"
            " handler (custom.Layer, or request_handler_class): serve it"
            " without --control.",
            stderr.strip(),
        )


class ServeStaticTest(ServeTest):
    def test_file_the_client_wrote_is_served_then_gone_after_reset(self):
        process, info = self.started("servelayers.STATIC", "--control")
        root = pathlib.Path(info["documentroot"])
        (root / "hello.txt").write_text("hello")
        self.assertEqual(
            (200, "hello"), call("GET", f"{info['url']}/hello.txt")
        )
        call("POST", f"{info['control']}/reset")
        self.assertEqual(404, call("GET", f"{info['url']}/hello.txt")[0])
        code, _ = self.stop(process)
        self.assertEqual(0, code)
        self.assertFalse(root.exists())


class BadLayerNameTest(ServeTest):
    def error(self, name):
        process = self.serve(name)
        _, stderr = process.communicate(timeout=TIMEOUT)
        self.assertEqual(2, process.returncode, stderr)
        self.assertEqual(1, len(stderr.splitlines()), stderr)
        return stderr.strip()

    def test_module_that_does_not_import(self):
        self.assertEqual(
            "error: Cannot import the module 'nosuch.module' of the layer"
            " 'nosuch.module.LAYER' (No module named 'nosuch'): check the"
            " name, or make the module importable for this Python (install"
            " its distribution, or add its folder to PYTHONPATH).",
            self.error("nosuch.module.LAYER"),
        )

    def test_name_the_module_lacks(self):
        self.assertEqual(
            "error: The module 'servelayers' has no layer named 'NOPE':"
            " give the name of a layer defined there"
            " ('servelayers.NOPE' is wrong).",
            self.error("servelayers.NOPE"),
        )

    def test_not_a_dotted_name(self):
        self.assertEqual(
            "error: 'NOTES_HTTP' is not a dotted name: give the layer as"
            " package.module.LAYER.",
            self.error("NOTES_HTTP"),
        )

    def test_not_a_layer(self):
        self.assertEqual(
            "error: 'servelayers.NOT_A_LAYER' is 'NOTES_HTTP', not a test"
            " layer: give a layer, such as a plone.testing.Layer instance.",
            self.error("servelayers.NOT_A_LAYER"),
        )

    def test_layer_without_a_server(self):
        self.assertEqual(
            "error: The layer servelayers.Notes runs no HTTP server (it has"
            " no 'httpd' resource): serve a layer that has an HTTP server"
            " layer among its bases, such as"
            " plone.testing.Layer(bases=(MY_FIXTURE, HTTP_SERVER)).",
            self.error("servelayers.NOTES"),
        )
        self.assertEqual(["setUp", "tearDown"], self.hooks())


class ControlLoopbackTest(unittest.TestCase):
    """The endpoint's own decision, on the client address the engine
    passes as REMOTE_ADDR (the grid env sends a real request from another
    host: packages/core/grid/test_grid_serve.py)."""

    def answer(self, remote):
        import servelayers

        from gocept.httpserverlayer._control import Control
        from gocept.httpserverlayer._serve import Runner
        from gocept.httpserverlayer._serve import Stack

        stack = Stack(servelayers.NOTES_HTTP)
        control = Control(stack, Runner(stack), timeout=1)
        environ = {
            "REMOTE_ADDR": remote,
            "PATH_INFO": "/_gocept_httpserverlayer",
            "REQUEST_METHOD": "GET",
        }
        return control.answer(environ)[0]

    def test_loopback_clients_are_answered(self):
        self.assertEqual("200 OK", self.answer("127.0.0.1"))
        self.assertEqual("200 OK", self.answer("::1"))

    def test_other_clients_are_refused(self):
        self.assertEqual("403 Forbidden", self.answer("192.0.2.7"))
        self.assertEqual("403 Forbidden", self.answer(""))
