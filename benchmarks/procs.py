"""Processes: server runners and load clients, each its own interpreter."""

import json
import os
import queue
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
RUNNER = os.path.join(HERE, "runner.py")
CLIENT = os.path.join(HERE, "httpclient.py")


class Failed(Exception):
    """A subprocess crashed, timed out or printed no result."""


class Interpreter:
    """Which Python runs a subject (ours, peers: this one; 4.0: its venv)."""

    def __init__(self, python, env):
        self.python = python
        self.env = dict(env)
        self.env["GOCEPT_HTTP_APP_HOST"] = "127.0.0.1"
        self.env.pop("GOCEPT_HTTP_VERBOSE_LOGGING", None)
        self.env["PYTHONDONTWRITEBYTECODE"] = "1"


# Servers run on one CPU and load clients on the other, for every subject
# alike. Left to the scheduler, a ping-pong workload lands on one core in
# some runs and on two in others, and the same server measured 16k and
# 42k requests/s in two runs on this 2-core machine.
_CPUS = sorted(getattr(os, "sched_getaffinity", lambda pid: [])(0))
SERVER_CPU = _CPUS[:1]
CLIENT_CPU = _CPUS[1:2] or _CPUS[:1]


def _pinned(cpus):
    """A preexec_fn that pins the child process to ``cpus``."""
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, set(cpus))


def _lines(proc, out):
    for line in proc.stdout:
        out.put(line)
    out.put(None)


def run_json(interp, args, timeout):
    """Run runner.py with args; return the list of JSON lines it printed.

    On timeout the process is killed and Failed raised with what it printed.
    """
    proc = subprocess.Popen(
        [interp.python, RUNNER, *args],
        cwd=HERE,
        env=interp.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_pinned(SERVER_CPU),
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise Failed(f"timed out after {timeout:.0f} s") from None
    rows = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    for r in rows:
        if "error" in r:
            raise Failed(r["error"])
    if not rows:
        raise Failed(
            f"no result (exit {proc.returncode}): {err.strip()[-300:]}"
        )
    return rows


def start_runner(interp, args):
    """runner.py with ``args`` on the server CPU, talking over stdin and
    stdout."""
    return subprocess.Popen(
        [interp.python, RUNNER, *args],
        cwd=HERE,
        env=interp.env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        preexec_fn=_pinned(SERVER_CPU),
    )


class Server:
    """runner.py serve: a server in its own process until stop()."""

    def __init__(
        self, interp, subject, app, threads=None, srcdir=None, start_timeout=30
    ):
        args = ["serve", subject, app]
        if threads:
            args += ["--threads", str(threads)]
        if srcdir:
            args += ["--srcdir", srcdir]
        self.proc = start_runner(interp, args)
        self.lines = queue.Queue()
        threading.Thread(
            target=_lines, args=(self.proc, self.lines), daemon=True
        ).start()
        first = self._next(start_timeout)
        if first is None or "port" not in first:
            self.kill()
            raise Failed((first or {}).get("error", "server did not start"))
        self.port = first["port"]
        self.ca_bundle = first.get("ca_bundle")  # HTTPS: the CA to trust

    def _next(self, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(
                    timeout=max(0.01, deadline - time.monotonic())
                )
            except queue.Empty:
                return None
            if line is None:
                return None
            if line.startswith("{"):
                return json.loads(line)

    def snapshot(self, timeout=15):
        """Have the runner end the test, note its resources, start the
        next; stop() returns them as "marked"."""
        self.proc.stdin.write("snapshot\n")
        self.proc.stdin.flush()
        got = self._next(timeout)
        if got is None or "marked" not in got:
            raise Failed("the server did not answer snapshot")
        return got["marked"]

    def stop(self, timeout=15):
        """Ask the runner to stop; return its resource figures (or None)."""
        try:
            self.proc.stdin.write("stop\n")
            self.proc.stdin.flush()
        except OSError:
            pass
        result = self._next(timeout)
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.kill()
        return result

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def client(workload, port, timeout, **opts):
    """Run the load client process; return its JSON result."""
    args = [sys.executable, CLIENT, workload, "--port", str(port)]
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            args.append(flag)
        elif v is not None and v is not False:
            args += [flag, str(v)]
    try:
        res = subprocess.run(
            args,
            cwd=HERE,
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=_pinned(CLIENT_CPU),
        )
    except subprocess.TimeoutExpired:
        raise Failed(f"client timed out after {timeout:.0f} s") from None
    lines = [x for x in res.stdout.splitlines() if x.startswith("{")]
    if not lines:
        raise Failed(f"client failed: {res.stderr.strip()[-300:]}")
    return json.loads(lines[-1])
