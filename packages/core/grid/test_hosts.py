"""hosts.py stops its grid whatever ends the run: here, a SIGTERM.

A second grid is started for the purpose (its own subnet and namespaces,
named after its process id); its command sends SIGTERM to hosts.py and
waits. hosts.py must stop the command and every process of its grid,
remove its namespaces and exit with 130.
"""

import subprocess
import sys
import unittest

import hosts

KILL_PARENT = (
    "import os, signal, time;"
    " os.kill(os.getppid(), signal.SIGTERM); time.sleep(60)"
)


class StopTest(unittest.TestCase):
    def setUp(self):
        reason = hosts.why_not_possible()
        if reason:
            self.skipTest(reason)

    def test_sigterm_stops_the_grid_and_its_command(self):
        process = subprocess.Popen(
            [sys.executable, hosts.__file__, "run", "--"]
            + [sys.executable, "-c", KILL_PARENT],
            stderr=subprocess.PIPE,
            text=True,
        )
        _, stderr = process.communicate(timeout=hosts.START_TIMEOUT + 60)
        self.assertEqual(130, process.returncode, stderr)
        self.assertIn("grid: interrupted by SIGTERM", stderr)
        self.assertIn("grid: stopped", stderr)
        run = process.pid
        self.assertNotIn(run, hosts.grid_java_pids().values())
        namespaces = hosts.ip("netns", "list").stdout
        self.assertNotIn(f"{hosts.PREFIX}-{run}-", namespaces)
        self.assertNotIn(f"ggbr{run}", hosts.ip("link", "show").stdout)
        # The command was stopped too: nothing sleeps on with its code.
        ps = subprocess.run(
            ["ps", "-eo", "args"], capture_output=True, text=True, check=True
        )
        self.assertNotIn(KILL_PARENT, ps.stdout)
