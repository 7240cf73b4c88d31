"""A minimal, fast HTTP/1.1 client on raw sockets, and the load workloads.

Run as a script, it is the load client process: one workload, JSON on stdout.

    python httpclient.py rps --port P --path / --duration 3 [--close]
    python httpclient.py download --port P --path /big.bin --duration 3
    python httpclient.py concurrent --port P --clients 32 --per-client 10
    python httpclient.py burst --port P --clients 200 --duration 2

With --ca PEM, every connection is TLS, verified against that CA bundle
(ssl.create_default_context(cafile=PEM)) for the host 127.0.0.1.

Only the standard library is used, and only 127.0.0.1 is contacted.
"""

import argparse
import json
import selectors
import socket
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"


class ServerClosed(Exception):
    """The server closed the connection before a complete response."""


class BadStatus(Exception):
    """The server answered with an unexpected status."""


def build_request(path, close=False, host=HOST):
    lines = [f"GET {path} HTTP/1.1", f"Host: {host}"]
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class Connection:
    """One HTTP/1.1 connection; knows whether the server keeps it open."""

    def __init__(self, port, host=HOST, timeout=10.0, ca=None):
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ca is not None:  # TLS, verified against the given CA bundle
            if not isinstance(ca, ssl.SSLContext):
                ca = tls_context(ca)
            try:
                sock = ca.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        self.sock = sock
        self.buf = b""
        self.open = True  # False once the server said it will close

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
        self.open = False

    def _read_head(self):
        buf = self.buf
        recv = self.sock.recv
        while True:
            end = buf.find(b"\r\n\r\n")
            if end >= 0:
                return buf[:end], buf[end + 4 :]
            chunk = recv(65536)
            if not chunk:
                raise ServerClosed(
                    "connection closed before the response head"
                )
            buf += chunk

    def request(self, raw, sink=None):
        """Send `raw`, read one response; return (status, body length, body).

        With `sink` (a writable memoryview large enough), the body is read
        into it with recv_into and `body` is None.
        """
        self.sock.sendall(raw)
        head, rest = self._read_head()
        status = int(head[9:12])
        lower = head.lower()
        length = -1
        pos = lower.find(b"\r\ncontent-length:")
        if pos >= 0:
            eol = lower.find(b"\r\n", pos + 2)
            length = int(lower[pos + 17 : eol if eol >= 0 else len(lower)])
        if head.startswith(b"HTTP/1.0"):
            keep = b"\r\nconnection: keep-alive" in lower
        else:
            keep = b"\r\nconnection: close" not in lower
        if length < 0:
            if status in (204, 304) or 100 <= status < 200:
                length = 0
            else:  # body until the server closes
                body = self._read_to_close(rest)
                self.buf = b""
                self.open = False
                return status, len(body), body
        if sink is not None:
            return status, self._read_into(sink, length, rest, keep), None
        while len(rest) < length:
            chunk = self.sock.recv(max(65536, length - len(rest)))
            if not chunk:
                raise ServerClosed("connection closed inside the body")
            rest += chunk
        body = rest[:length]
        self.buf = rest[length:]
        if not keep:
            self.open = False
        return status, length, body

    def _read_into(self, sink, length, rest, keep):
        have = min(len(rest), length)
        sink[:have] = rest[:have]
        self.buf = rest[have:]
        recv_into = self.sock.recv_into
        while have < length:
            n = recv_into(sink[have:length])
            if not n:
                raise ServerClosed("connection closed inside the body")
            have += n
        if not keep:
            self.open = False
        return length

    def _read_to_close(self, rest):
        chunks = [rest]
        while True:
            chunk = self.sock.recv(65536)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)


def tls_context(ca_bundle):
    """A client context that trusts exactly the CA in `ca_bundle` (PEM)."""
    return ssl.create_default_context(cafile=ca_bundle)


def get_once(port, path="/", host=HOST, timeout=5.0, ca=None):
    """One request on a fresh connection (Connection: close)."""
    conn = Connection(port, host, timeout, ca=ca)
    try:
        return conn.request(build_request(path, close=True))
    finally:
        conn.close()


def rps(
    port,
    path,
    duration,
    close=False,
    max_requests=None,
    expect=None,
    ca=None,
):
    """Requests/s over one keep-alive connection, or a connection per request.

    If the server closes a keep-alive connection, the client reconnects and
    counts it (`reconnects`): the server does not keep connections alive.
    With `ca` (a CA bundle path), over TLS; the handshake of each connection
    counts in the time.
    """
    raw = build_request(path, close=close)
    if ca is not None:
        ca = tls_context(ca)
    if max_requests is None:
        max_requests = 15000 if close else 10_000_000
    conn = None
    done = errors = reconnects = 0
    first_check = None
    start = time.perf_counter()
    deadline = start + duration
    while done < max_requests:
        if done & 15 == 0 and time.perf_counter() >= deadline:
            break
        try:
            if conn is None or not conn.open:
                if conn is not None:
                    conn.close()
                    if not close:
                        reconnects += 1
                conn = Connection(port, ca=ca)
            status, length, body = conn.request(raw)
            if status != 200:
                errors += 1
            elif first_check is None and expect is not None:
                first_check = body == expect
            if close:
                conn.close()
            done += 1
        except (OSError, ServerClosed, ValueError):  # ssl.SSLError too
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
            if errors > 1000:
                break
    elapsed = time.perf_counter() - start
    if conn is not None:
        conn.close()
    return {
        "requests": done,
        "seconds": elapsed,
        "rps": done / elapsed,
        "errors": errors,
        "reconnects": reconnects,
        "body_ok": first_check,
    }


def download(port, path, duration, size, max_requests=10_000):
    """MB/s (10^6 bytes/s) of repeated downloads over keep-alive."""
    raw = build_request(path)
    sink = memoryview(bytearray(size + 65536))
    conn = None
    done = errors = reconnects = 0
    total = 0
    start = time.perf_counter()
    deadline = start + duration
    while done < max_requests and time.perf_counter() < deadline:
        try:
            if conn is None or not conn.open:
                if conn is not None:
                    conn.close()
                    reconnects += 1
                conn = Connection(port)
            status, length, _ = conn.request(raw, sink=sink)
            if status != 200 or length != size:
                errors += 1
            total += length
            done += 1
        except (OSError, ServerClosed, ValueError):
            errors += 1
            if conn is not None:
                conn.close()
            conn = None
            if errors > 100:
                break
    elapsed = time.perf_counter() - start
    if conn is not None:
        conn.close()
    return {
        "requests": done,
        "seconds": elapsed,
        "bytes": total,
        "mb_per_s": total / elapsed / 1e6,
        "rps": done / elapsed,
        "errors": errors,
        "reconnects": reconnects,
    }


def concurrent(port, path, clients, per_client, deadline_s=20.0):
    """`clients` threads, a keep-alive connection each, `per_client` requests.

    Errors (resets, timeouts, bad statuses) are counted; after an error the
    thread carries on with a new connection.  Requests still missing at the
    deadline count as errors too.
    """
    raw = build_request(path)
    barrier = threading.Barrier(clients + 1)
    results = []
    lock = threading.Lock()
    deadline = [0.0]

    def worker():
        ok = errors = reconnects = 0
        kinds = {}
        conn = None
        barrier.wait()
        for _ in range(per_client):
            if time.perf_counter() > deadline[0]:
                errors += 1
                kinds["deadline"] = kinds.get("deadline", 0) + 1
                continue
            try:
                if conn is None or not conn.open:
                    if conn is not None:
                        conn.close()
                        reconnects += 1
                    conn = Connection(
                        port,
                        timeout=max(0.5, deadline[0] - time.perf_counter()),
                    )
                status, _, _ = conn.request(raw)
                if status != 200:
                    raise BadStatus(status)
                ok += 1
            except (OSError, ServerClosed, ValueError, BadStatus) as exc:
                errors += 1
                name = type(exc).__name__
                kinds[name] = kinds.get(name, 0) + 1
                if conn is not None:
                    conn.close()
                conn = None
        if conn is not None:
            conn.close()
        with lock:
            results.append((ok, errors, reconnects, kinds))

    threads = [
        threading.Thread(target=worker, daemon=True) for _ in range(clients)
    ]
    for t in threads:
        t.start()
    start = time.perf_counter()
    deadline[0] = start + deadline_s
    barrier.wait()
    for t in threads:
        t.join(deadline_s + 15)
    wall = time.perf_counter() - start
    kinds = {}
    for r in results:
        for k, v in r[3].items():
            kinds[k] = kinds.get(k, 0) + v
    missing = clients - len(results)
    return {
        "wall": wall,
        "ok": sum(r[0] for r in results),
        "errors": sum(r[1] for r in results) + missing * per_client,
        "reconnects": sum(r[2] for r in results),
        "error_kinds": kinds,
        "client": f"{clients} threads in one client process",
    }


def burst(port, clients, duration, deadline_s=20.0, path="/"):
    """Open `clients` connections at once, then keep each busy.

    Every connection is started with a non-blocking connect() in one go;
    each sends a request as soon as it is connected and, after each
    response, the next one, until `duration` seconds have passed. Returns
    the latency of each connection's first request, from its connect() to
    the whole response (`first`), and of the later ones (`later`).
    Connections without a response by `deadline_s` are `unanswered`.
    """
    raw = build_request(path)
    selector = selectors.DefaultSelector()
    first, later = [], []
    errors = 0
    start = time.perf_counter()
    for _ in range(clients):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        # started, request sent at, buffer, responses so far
        state = [time.perf_counter(), 0.0, b"", 0]
        sock.connect_ex((HOST, port))
        selector.register(sock, selectors.EVENT_WRITE, state)
    end, deadline = start + duration, start + deadline_s

    def close(sock):
        selector.unregister(sock)
        sock.close()

    while selector.get_map():
        now = time.perf_counter()
        if now > deadline:
            break
        for key, events in selector.select(timeout=deadline - now):
            sock, state = key.fileobj, key.data
            if events & selectors.EVENT_WRITE:
                if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    errors += 1
                    close(sock)
                    continue
                state[1] = time.perf_counter()
                try:
                    sock.send(raw)  # 40 bytes into an empty buffer
                except OSError:
                    errors += 1
                    close(sock)
                    continue
                selector.modify(sock, selectors.EVENT_READ, state)
                continue
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                if not state[3]:
                    errors += 1
                close(sock)
                continue
            state[2] += data
            done, state[2] = _responses(state[2])
            if not done:
                continue
            now = time.perf_counter()
            if state[3]:
                later.append(now - state[1])
            else:
                first.append(now - state[0])
            state[3] += done
            if now >= end:
                close(sock)
                continue
            state[1] = now
            try:
                sock.send(raw)
            except OSError:  # the server closed it (HTTP/1.0 servers)
                close(sock)
    unanswered = sum(1 for key in selector.get_map().values() if not
                     key.data[3])  # fmt: skip
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    return {
        "first": first,
        "later": later,
        "unanswered": unanswered,
        "errors": errors,
        "requests": len(first) + len(later),
        "seconds": time.perf_counter() - start,
    }


def _responses(buf):
    """Count the complete responses at the start of `buf` (Content-Length
    framing); return (count, the rest)."""
    count = 0
    while True:
        end = buf.find(b"\r\n\r\n")
        if end < 0:
            return count, buf
        lower = buf[:end].lower()
        pos = lower.find(b"\r\ncontent-length:")
        if pos < 0:
            return count, buf
        eol = lower.find(b"\r\n", pos + 2)
        length = int(lower[pos + 17 : eol if eol >= 0 else end])
        if len(buf) < end + 4 + length:
            return count, buf
        buf = buf[end + 4 + length :]
        count += 1


def main(argv=None):
    p = argparse.ArgumentParser()
    p.add_argument(
        "workload", choices=["rps", "download", "concurrent", "burst"]
    )
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--path", default="/")
    p.add_argument("--duration", type=float, default=3.0)
    p.add_argument("--close", action="store_true")
    p.add_argument("--size", type=int, default=0)
    p.add_argument("--clients", type=int, default=32)
    p.add_argument("--per-client", type=int, default=10)
    p.add_argument("--deadline", type=float, default=20.0)
    p.add_argument("--expect", default=None)
    p.add_argument("--ca", default=None, help="CA bundle (PEM): use TLS")
    p.add_argument(
        "--warmup",
        type=float,
        default=0.0,
        help="seconds of the same load first, not counted",
    )
    a = p.parse_args(argv)
    if a.ca is not None and a.workload != "rps":
        p.error("--ca is supported by the rps workload only")
    if a.workload == "rps":
        expect = a.expect.encode() if a.expect is not None else None
        if a.warmup:
            rps(a.port, a.path, a.warmup, a.close, max_requests=2000, ca=a.ca)
        out = rps(a.port, a.path, a.duration, a.close, expect=expect, ca=a.ca)
    elif a.workload == "download":
        out = download(a.port, a.path, a.duration, a.size)
    elif a.workload == "burst":
        out = burst(a.port, a.clients, a.duration, a.deadline, a.path)
    else:
        out = concurrent(a.port, a.path, a.clients, a.per_client, a.deadline)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
