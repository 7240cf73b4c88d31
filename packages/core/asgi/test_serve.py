"""`python -m gocept.httpserverlayer serve` with an asgi.Layer."""

import json
import pathlib
import unittest
import urllib.request

from gocept.httpserverlayer._testing.serving import start_serve

HERE = pathlib.Path(__file__).parent
TIMEOUT = 60


def serve(*args):
    return start_serve(*args, pythonpath=HERE)


class ServeAsgiTest(unittest.TestCase):
    def test_asgi_layer_is_served_to_outside_clients(self):
        process = serve("test_layer.LAYER", "--json")
        try:
            info = json.loads(process.stdout.readline())
            self.assertEqual("test_layer.AsgiLayer", info["layer"])
            with urllib.request.urlopen(
                f"{info['url']}/echo", timeout=TIMEOUT
            ) as response:
                self.assertEqual(200, response.status)
        finally:
            process.terminate()
            process.communicate(timeout=TIMEOUT)
        self.assertEqual(0, process.returncode)

    def test_control_is_refused_naming_the_asgi_engine(self):
        process = serve("test_layer.LAYER", "--control")
        _, stderr = process.communicate(timeout=TIMEOUT)
        self.assertEqual(2, process.returncode)
        self.assertEqual(
            "error: --control needs a layer served by the WSGI engine"
            " (wsgi.Layer, static.Layer, HTTP_SERVER), but"
            " test_layer.AsgiLayer is served by the ASGI engine (asgi.Layer):"
            " serve it without --control.",
            stderr.strip(),
        )
