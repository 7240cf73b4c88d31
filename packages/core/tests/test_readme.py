"""The usage example of the distribution's README runs as written."""

import os
import re
import unittest

README = os.path.join(os.path.dirname(__file__), os.pardir, "README.rst")


def code_blocks(path):
    """The literal blocks (after ``::``) of a reST file."""
    with open(path) as f:
        text = f.read()
    pattern = re.compile(r"::\n\n((?:(?:    .*)?\n)+)")
    return [
        "\n".join(line[4:] for line in block.splitlines())
        for block in pattern.findall(text)
    ]


def my_wsgi_app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello world"]


class ReadmeTest(unittest.TestCase):
    def test_usage_example_runs(self):
        source = [b for b in code_blocks(README) if "HTTP_LAYER" in b][0]
        namespace = {"my_wsgi_app": my_wsgi_app, "__name__": "readme"}
        exec(compile(source, README, "exec"), namespace)
        layer = namespace["HTTP_LAYER"]
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(
            namespace["AppTest"]
        )
        layer.setUp()
        try:
            result = unittest.TestResult()
            suite.run(result)
        finally:
            layer.tearDown()
        self.assertEqual(
            (1, [], []), (result.testsRun, result.failures, result.errors)
        )
