"""A raw-socket HTTP/1.1 load client, run as a separate process.

It keeps CONNS keep-alive connections busy, one request at a time each,
for SECONDS (or REQUESTS per connection), checks every response (status
200, Content-Length framing, the expected body) and prints one JSON line:
requests sent, answered, answered correctly, errors and latencies. It
runs in its own process so that it does not share the server's GIL.

    python loadclient.py PORT CONNS SECONDS REQUESTS PATH EXPECTED_BODY
"""

from __future__ import annotations

import json
import selectors
import socket
import sys
import time
from typing import Any
from typing import cast


def main(
    port: int,
    conns: int,
    seconds: float,
    requests: int,
    path: str,
    expected: bytes,
) -> None:
    request = f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    selector = selectors.DefaultSelector()
    stats: dict[str, Any] = {"sent": 0, "answered": 0, "correct": 0}
    stats["errors"] = 0
    latencies = []
    firsts = []  # of each connection's first request
    deadline = time.monotonic() + seconds
    hard_deadline = deadline + 10  # bounded even if the server stalls
    for _ in range(conns):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.setblocking(False)
        state = {"buf": b"", "start": 0.0, "done": 0}
        selector.register(sock, selectors.EVENT_READ, state)
        send(sock, state, request, stats)
    while selector.get_map() and time.monotonic() < hard_deadline:
        for key, _ in selector.select(timeout=1):
            sock, state = cast(socket.socket, key.fileobj), key.data
            try:
                data = sock.recv(65536)
            except OSError:
                data = b""
            if not data:
                stats["errors"] += 1
                selector.unregister(sock)
                sock.close()
                continue
            state["buf"] += data
            while (body := take(state, expected)) is not None:
                stats["answered"] += 1
                stats["correct"] += body == expected
                latency = time.monotonic() - state["start"]
                latencies.append(latency)
                if not state["done"]:
                    firsts.append(latency)
                state["done"] += 1
                more = time.monotonic() < deadline and (
                    not requests or state["done"] < requests
                )
                if more:
                    send(sock, state, request, stats)
                else:
                    selector.unregister(sock)
                    sock.close()
                    break
    stats["unfinished"] = len(selector.get_map())
    stats["latencies"] = latencies
    stats["first_latencies"] = firsts
    print(json.dumps(stats))


def send(sock: socket.socket, state: Any, request: bytes, stats: Any) -> None:
    state["start"] = time.monotonic()
    sock.setblocking(True)
    sock.sendall(request)
    sock.setblocking(False)
    stats["sent"] += 1


def take(state: Any, expected: bytes) -> bytes | None:
    """Cut one complete response off the buffer; its body, or None."""
    buf: bytes = state["buf"]
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = buf[:end].split(b"\r\n")
    length = None
    for line in head[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if not head[0].startswith(b"HTTP/1.1 200 ") or length is None:
        state["buf"] = b""
        return b"<bad response %r>" % head[0]
    if len(buf) < end + 4 + length:
        return None
    state["buf"] = buf[end + 4 + length :]
    return buf[end + 4 : end + 4 + length]


if __name__ == "__main__":
    port, conns, seconds, requests, path, expected = sys.argv[1:7]
    main(
        int(port), int(conns), float(seconds), int(requests), path,
        expected.encode(),
    )  # fmt: skip
