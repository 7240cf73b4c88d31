"""The server process: one subject, one job, JSON lines on stdout.

    python runner.py serve SUBJECT APP [--threads N] [--srcdir DIR]
        start the server, print {"port": P, "ca_bundle": PEM or null}, wait
        for "stop" on stdin, stop it, print resource figures of this
        process; "snapshot" on stdin ends the test, prints this process's
        resources as {"marked": ...} and starts the next.
    python runner.py lifecycle SUBJECT --cycles N [--max-seconds S]
        setUp + first successful request + tearDown, timed in-process
        (over TLS, verified against the layer's ca_bundle, for ours-https);
        the first, warm-up cycle is reported apart as "first".
    python runner.py teardown SUBJECT --mode idle|silent|partial|websocket
            --reps N
        time tearDown while a client holds a connection; a watchdog ends the
        process after 5 s and reports a hang.
    python runner.py growth SUBJECT --cycles N [--max-seconds S]
        threads, fds and RSS before and after N setUp/request/tearDown cycles.
    python runner.py steps SUBJECT
        one measured step per line on stdin, for ab.py: "lifecycle" (one
        cycle as in the lifecycle job) or "teardown MODE" (one rep as in
        the teardown job); prints {"seconds": ...} for each.

For the 4.0 subject this runs under the reference virtualenv's interpreter.
"""

import argparse
import gc
import json
import os
import socket
import sys
import threading
import time
import traceback

import httpclient
from subjects import HELLO
from subjects import make_subject

HANG_SECONDS = float(os.environ.get("BENCH_HANG_SECONDS", "5"))


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def resources():
    with open("/proc/self/status") as f:
        rss = next(
            int(line.split()[1]) for line in f if line.startswith("VmRSS:")
        )
    return {
        "threads": len(os.listdir("/proc/self/task")),
        "fds": len(os.listdir("/proc/self/fd")),
        "rss_kb": rss,
    }


def first_request(port, timeout=5.0, ca=None):
    """Retry until the server gives a correct answer (or time runs out).

    With `ca` (a CA bundle path), over TLS verified against it.
    """
    deadline = time.perf_counter() + timeout
    while True:
        try:
            status, _, body = httpclient.get_once(port, "/", ca=ca)
            if status == 200 and body == HELLO:
                return
            problem = f"status {status}, body {body[:40]!r}"
        except (OSError, httpclient.ServerClosed) as exc:
            problem = repr(exc)
        if time.perf_counter() > deadline:
            raise RuntimeError(f"no successful first request: {problem}")
        time.sleep(0.001)


def cycle(subject):
    port = subject.start("hello")
    subject.test_setup()
    first_request(port, ca=subject.ca_bundle)
    subject.test_teardown()
    subject.stop()


def do_serve(a):
    before = resources()
    subject = make_subject(a.subject, a.threads)
    port = subject.start(a.app, a.srcdir)
    subject.test_setup()
    emit({"port": port, "ca_bundle": subject.ca_bundle})
    marked = None
    for line in sys.stdin:
        if line.strip() == "snapshot":
            marked = between_tests(subject)
            emit({"marked": marked})
        elif line.strip() == "stop":
            break
    loaded = resources()
    between = between_tests(subject, again=False)
    t0 = time.perf_counter()
    subject.stop()
    stop_s = time.perf_counter() - t0
    gc.collect()
    emit(
        {
            "before": before,
            "loaded": loaded,
            "marked": marked,
            "between": between,
            "after": resources(),
            "stop_s": stop_s,
        }
    )


def between_tests(subject, again=True):
    """End the test, collect garbage, take resources(), start the next."""
    subject.test_teardown()
    gc.collect()
    figures = resources()
    if again:
        subject.test_setup()
    return figures


def do_lifecycle(a):
    """Time setUp + first request, then tearDown after a 2 ms pause.

    The pause (not timed) stands for the rest of a test: tearing down within
    microseconds of the response would catch some servers still busy with
    the request and skip their idle poll, which no real test run does.
    """
    subject = make_subject(a.subject)
    subject.prepare()
    t0 = time.perf_counter()
    cycle(subject)  # warm-up: imports (trustme for HTTPS), first allocations
    first = time.perf_counter() - t0
    up, down = [], []
    limit = time.perf_counter() + a.max_seconds
    for _ in range(a.cycles):
        setup_request, teardown = timed_cycle(subject)
        up.append(setup_request)
        down.append(teardown)
        if time.perf_counter() > limit:
            break
    emit(
        {
            "setup_request": up,
            "teardown": down,
            "times": [u + d for u, d in zip(up, down, strict=True)],
            "first": first,
        }
    )


def timed_cycle(subject):
    """One lifecycle cycle: (setUp + first request + testTearDown, tearDown)
    in seconds, a 2 ms pause between them (see do_lifecycle)."""
    t0 = time.perf_counter()
    port = subject.start("hello")
    subject.test_setup()
    first_request(port, ca=subject.ca_bundle)
    subject.test_teardown()
    t1 = time.perf_counter()
    time.sleep(0.002)
    t2 = time.perf_counter()
    subject.stop()
    return t1 - t0, time.perf_counter() - t2


def open_client(port, mode):
    if mode == "idle":  # one request, then keep the socket open
        conn = httpclient.Connection(port)
        status, _, _ = conn.request(httpclient.build_request("/"))
        if status != 200:
            raise RuntimeError(f"status {status}")
        time.sleep(0.01)
        return conn.sock, conn.open
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if mode == "websocket":  # an open websocket, idle (ASGI servers)
        sock.sendall(
            b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n"
        )
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        if not head.startswith(b"HTTP/1.1 101 "):
            raise RuntimeError(f"websocket handshake: {head[:40]!r}")
        return sock, True
    if mode == "partial":  # stuck mid-request: headers not finished
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    time.sleep(0.01)  # let the server accept it
    return sock, True


def timed_teardown(subject, mode, rep=0):
    """tearDown while a client holds a connection in ``mode``: (seconds,
    held, the client's socket, still open); a watchdog ends the process
    after HANG_SECONDS with a report."""
    port = subject.start("hello")
    subject.test_setup()
    sock, held = open_client(port, mode)
    subject.test_teardown()

    def hang():
        emit({"rep": rep, "hang": True, "held": held})
        os._exit(0)

    watchdog = threading.Timer(HANG_SECONDS, hang)
    watchdog.daemon = True
    watchdog.start()
    t0 = time.perf_counter()
    subject.stop()
    elapsed = time.perf_counter() - t0
    watchdog.cancel()
    return elapsed, held, sock


def do_teardown(a):
    subject = make_subject(a.subject)
    cycle(subject)  # warm-up
    base = resources()["threads"]
    for rep in range(a.reps):
        elapsed, held, sock = timed_teardown(subject, a.mode, rep)
        left = resources()["threads"] - base
        sock.close()
        emit(
            {
                "rep": rep,
                "seconds": elapsed,
                "held": held,
                "threads_left": left,
            }
        )
        time.sleep(0.02)


def do_steps(a):
    subject = make_subject(a.subject)
    cycle(subject)  # warm-up
    emit({"ready": True})
    for line in sys.stdin:
        step = line.split()
        if step == ["lifecycle"]:
            setup_request, teardown = timed_cycle(subject)
            emit({"seconds": setup_request + teardown})
        elif len(step) == 2 and step[0] == "teardown":
            elapsed, _, sock = timed_teardown(subject, step[1])
            sock.close()
            emit({"seconds": elapsed})
        else:
            break


def do_growth(a):
    subject = make_subject(a.subject)
    for _ in range(a.warmup):
        cycle(subject)
    time.sleep(0.2)  # let exiting threads finish
    gc.collect()
    before = resources()
    done = 0
    t0 = time.perf_counter()
    limit = t0 + a.max_seconds
    for _ in range(a.cycles):
        cycle(subject)
        done += 1
        if time.perf_counter() > limit:
            break
    elapsed = time.perf_counter() - t0
    time.sleep(0.2)  # let exiting threads finish
    gc.collect()
    emit(
        {
            "cycles": done,
            "seconds": elapsed,
            "before": before,
            "after": resources(),
        }
    )


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument(
        "job", choices=["serve", "lifecycle", "teardown", "growth", "steps"]
    )
    p.add_argument("subject")
    p.add_argument("app", nargs="?", default="hello")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("--srcdir", default=None)
    p.add_argument("--cycles", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--max-seconds", type=float, default=60.0)
    p.add_argument("--mode", default="idle")
    p.add_argument("--reps", type=int, default=10)
    a = p.parse_args(argv)
    job = {
        "serve": do_serve,
        "lifecycle": do_lifecycle,
        "teardown": do_teardown,
        "growth": do_growth,
        "steps": do_steps,
    }[a.job]
    try:
        job(a)
    except Exception as exc:
        emit(
            {
                "error": f"crashes: {type(exc).__name__}: {exc}",
                "traceback": traceback.format_exc(),
            }
        )
        sys.stdout.flush()
        os._exit(0)


if __name__ == "__main__":
    main()
