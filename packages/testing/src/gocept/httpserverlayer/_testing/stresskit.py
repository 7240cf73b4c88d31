"""What the stress suites share: figures, snapshots of threads, file
descriptors and memory, waiting for a server, load from client processes.

The raw clients and the strict response parser are in :mod:`.client`,
output capture in :mod:`.capture`.
"""

from __future__ import annotations

import os
import re
import sys
import threading
import time
from typing import Any

from gocept.httpserverlayer._testing import loadclient

# Bounds of the stress suites (issue 15). They catch a server that hangs
# or loses work, never a slow one: speed is measured in benchmarks/. Each
# is several times the worst figure measured on the 2-core development VM
# while three CPU-bound processes ran beside the suites (tox -e
# stress,zope2, which then took 4 min 19 s and 4 min 15 s instead of about
# 1.5 and 2.5); a failing check prints the figure it saw.

#: Seconds for a server to be done with every connection after a load
#: (wait_idle). Worst measured: 0.65 s.
TIMEOUT = 5.0
#: Seconds that the layers' testTearDown and tearDown may take with slow
#: and broken clients. Worst measured: 1.12 s, with a client that stopped
#: reading a response (the server waits shutdown_timeout, there 1 s, for
#: it); otherwise at most 80 ms.
TEARDOWN_BOUND = 5.0


# Figures ------------------------------------------------------------------


def percentiles(samples: list[float]) -> str:
    """p50/p90/p99/max of latencies in seconds, as milliseconds."""
    if not samples:
        return "no samples"
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {at(0.50):.2f} ms, p90 {at(0.90):.2f} ms,"
        f" p99 {at(0.99):.2f} ms, max {ordered[-1] * 1000:.2f} ms"
    )


def figures(title: str, **items: Any) -> None:
    """Print a readable block of figures to stdout (past any capture).

    With ``GOCEPT_STRESS_FIGURES`` set (the tox envs set it to a file in
    benchmarks/results/), the block is also appended to that file.
    """
    width = max(len(k) for k in items) if items else 0
    lines = ["", f"  == {title} =="]
    for key, value in items.items():
        lines.append(f"  {key.replace('_', ' '):<{width}} : {value}")
    text = "\n".join(lines) + "\n"
    stdout = sys.__stdout__
    assert stdout is not None
    stdout.write(text)
    stdout.flush()
    path = os.environ.get("GOCEPT_STRESS_FIGURES")
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "a") as f:
            f.write(text)


def rss() -> int:
    """Resident set size of this process in bytes."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def workers() -> list[threading.Thread]:
    """Live threads named like the servers' worker threads."""
    return [
        t
        for t in threading.enumerate()
        if re.search(r" worker \d+\Z", t.name) and t.is_alive()
    ]


def snapshot() -> dict[str, int]:
    return {
        "threads": threading.active_count(),
        "workers": len(workers()),
        "fds": fds(),
        "rss": rss(),
    }


def mib(n: float) -> str:
    return f"{n / 1024 / 1024:+.2f} MiB"


# Servers ------------------------------------------------------------------


def wait_idle(server: Any, timeout: float = TIMEOUT) -> None:
    """Wait until ``server`` is done with every connection it accepted."""
    started = time.monotonic()
    deadline = started + timeout
    while server._connections and time.monotonic() < deadline:
        time.sleep(0.002)
    assert not server._connections, (
        f"{len(server._connections)} connection(s) still open"
        f" {time.monotonic() - started:.1f} s after the load (bound"
        f" {timeout:g} s): {server._connections}"
    )


def all_workers_alive(server: Any) -> bool:
    with server._lock:
        return all(w.thread.is_alive() for w in server._workers)


# Load from other processes -------------------------------------------------

LOADCLIENT = os.path.join(os.path.dirname(__file__), "loadclient.py")
STALL = loadclient.STALL


def load(
    port: int,
    conns: int,
    seconds: float,
    path: str,
    expected: bytes,
    processes: int = 2,
    requests: int = 0,
) -> dict[str, Any]:
    """Run ``processes`` load clients sharing ``conns`` connections.

    Returns their summed counts, all latencies, and the latencies of the
    first request of each connection (``first_latencies``: they include
    the server's accepting the connection).
    """
    import json
    import subprocess

    each = [conns // processes + (i < conns % processes) for i in
            range(processes)]  # fmt: skip
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                LOADCLIENT,
                str(port),
                str(n),
                str(seconds),
                str(requests),
                path,
                expected.decode(),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for n in each
    ]
    total: dict[str, Any] = {"latencies": [], "first_latencies": []}
    for proc in procs:
        # The client ends by itself at the latest STALL seconds after its
        # last answer; a client still running long after that is stuck.
        out, _ = proc.communicate(timeout=seconds + 2 * STALL)
        assert proc.returncode == 0, proc.returncode
        result = json.loads(out)
        total["latencies"] += result.pop("latencies")
        total["first_latencies"] += result.pop("first_latencies")
        for key, value in result.items():
            total[key] = total.get(key, 0) + value
    return total


def checked_load(
    title: str,
    port: int,
    conns: int,
    seconds: float,
    path: str,
    expected: bytes,
) -> dict[str, Any]:
    """:func:`load` with stderr and the log captured: asserts that nothing
    was printed or logged, no connection failed and every request was
    answered correctly; prints the figures under ``title``. Returns the
    result of :func:`load`."""
    from gocept.httpserverlayer._testing.capture import captured

    before = snapshot()
    with captured() as (stderr, records):
        result = load(port, conns, seconds, path, expected)
    during = snapshot()
    sent = result["sent"]
    # Printed before the checks, so that a failing run shows what it saw.
    figures(
        title,
        connections=f"{conns} from 2 client processes",
        duration=f"{seconds:.0f} s",
        sent=sent,
        answered_correctly=result["correct"],
        lost=sent - result["answered"],
        errors=f"{result['errors']} (closed or refused connections)",
        unfinished=f"{result['unfinished']} (no answer {STALL:.0f} s after"
        " the last one)",
        requests_per_second=f"{sent / seconds:,.0f}",
        latency=percentiles(result["latencies"]),
        first_request_latency=percentiles(result["first_latencies"])
        + " (from connect())",
        server_workers=f"{before['workers']} -> {during['workers']}",
    )
    counts = {k: v for k, v in result.items() if "latencies" not in k}
    assert (stderr.getvalue(), records) == ("", []), (stderr, records)
    assert result["errors"] == result["unfinished"] == 0, counts
    assert sent == result["answered"] == result["correct"], counts
    return result
