"""An independent oracle for request framing: h11 and llhttp.

Two well-kept parsers that share no code with the server under test read
the byte stream a test sends: h11 in the server role and llhttp (Node.js's
parser, through httptools). Each gives a :class:`Framing`: the requests
it reads (method, target, body, and the offset where each ends), then why
it stops (the data ended; a request is incomplete; it rejects a request;
the connection ends after a request that does not keep it alive).

:func:`disagreement` compares them with what a server did with the same
bytes: the requests its application received, in order, and the statuses
it answered with. The server must frame the stream as at least one of the
references does:

- every request it served is the reference's request at that place (same
  method, target and body, so the same bytes made it up);
- it serves no request that the reference does not read, except the one
  whose body the reference rejects or does not get to the end of, if the
  application answered it before reading the body;
- where it stops before the reference does, it answers the request it
  stops at with an error status (it is stricter, which is allowed and
  counted), and never just drops it;
- it answers each request once, and after a rejection nothing more.

:func:`lenient_only_in_targets` tells the one leniency that moves no
boundary from those that may: a server that takes a target with raw
non-ASCII bytes (both references refuse it) and frames everything as they
do once those bytes are percent-encoded.

Where the two references disagree with each other, agreeing with either
is enough: RFC 9112 leaves room there (h11 closes every HTTP/1.0
connection, llhttp refuses ``HTTP/1.2`` and Content-Length beside
Transfer-Encoding, h11 refuses a request without Host).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import h11
import httptools

END = "end"  # the data ended between requests
INCOMPLETE = "incomplete"  # the data ended inside a request
REJECTED = "rejected"  # the parser refused a request
CLOSED = "closed"  # a request did not keep the connection alive
# llhttp's exact offsets cost a call per byte; longer inputs are fed in
# blocks, and their requests' ``end`` is None (not known).
EXACT_UP_TO = 64 * 1024
BLOCK = 64 * 1024


@dataclasses.dataclass(frozen=True)
class Message:
    """A request as a parser or a server read it.

    ``body`` is None where it is not known (an application that answered
    without reading it; a request rejected in its body). ``end`` is the
    offset just after the request's last byte, None where not known.
    """

    method: bytes
    target: bytes
    body: bytes | None = None
    end: int | None = None

    def same_as(self, other: Message) -> bool:
        """Whether both name the same bytes, as far as both know."""
        return (
            self.method == other.method
            and self.target == other.target
            and (
                self.body is None
                or other.body is None
                or self.body == other.body
            )
            and (
                self.end is None or other.end is None or self.end == other.end
            )
        )

    def __str__(self) -> str:
        body = "?" if self.body is None else f"{len(self.body)} bytes"
        end = "" if self.end is None else f", ends at {self.end}"
        return f"{self.method!r} {self.target[:60]!r}, body {body}{end}"


@dataclasses.dataclass(frozen=True)
class Framing:
    """How one parser framed a byte stream."""

    parser: str
    requests: tuple[Message, ...]
    outcome: str
    reason: str = ""
    # The head of the request the parser did not finish, where it read
    # that head (it then refused the body, or the data ended in the body);
    # None otherwise.
    unfinished: Message | None = None

    def __str__(self) -> str:
        lines = [
            f"{self.parser}: {len(self.requests)} request(s), then"
            f" {self.outcome}" + (f" ({self.reason})" if self.reason else "")
        ]
        lines += [f"  {i}: {r}" for i, r in enumerate(self.requests)]
        if self.unfinished is not None:
            lines.append(f"  unfinished in its body: {self.unfinished}")
        return "\n".join(lines)


def h11_framing(data: bytes) -> Framing:
    """Frame ``data`` as h11 does in the server role.

    It answers each request with an empty 200 (501 to CONNECT, so that the
    connection stays HTTP) before it reads the next one, as a server does.
    Its limit on the size of a head is lifted: limits are the server's own
    business, framing is what is compared.
    """
    conn = h11.Connection(h11.SERVER, max_incomplete_event_size=len(data) + 1)
    conn.receive_data(data)
    requests: list[Message] = []
    head: h11.Request | None = None
    body = b""
    while True:
        try:
            event = conn.next_event()
        except h11.RemoteProtocolError as e:
            rejected = None
            if head is not None:
                rejected = Message(head.method, head.target)
            return Framing("h11", tuple(requests), REJECTED, str(e), rejected)
        if event is h11.NEED_DATA:
            if head is not None:
                unfinished = Message(head.method, head.target)
                return Framing(
                    "h11", tuple(requests), INCOMPLETE, "", unfinished
                )
            if conn.trailing_data[0]:
                return Framing("h11", tuple(requests), INCOMPLETE)
            return Framing("h11", tuple(requests), END)
        if isinstance(event, h11.Request):
            head, body = event, b""
        elif isinstance(event, h11.Data):
            body += event.data
        elif isinstance(event, h11.EndOfMessage):
            assert head is not None
            end = len(data) - len(conn.trailing_data[0])
            requests.append(Message(head.method, head.target, body, end))
            status = 501 if head.method == b"CONNECT" else 200
            conn.send(
                h11.Response(
                    status_code=status, headers=[("Content-Length", "0")]
                )
            )
            conn.send(h11.EndOfMessage())
            head = None
            if conn.our_state is h11.MUST_CLOSE:
                return Framing(
                    "h11", tuple(requests), CLOSED, "not kept alive"
                )
            conn.start_next_cycle()
        else:  # pragma: no cover - PAUSED: no protocol switch was accepted
            raise AssertionError(f"h11 gave {event!r}")


class _Callbacks:
    """What httptools calls while llhttp parses."""

    def __init__(self) -> None:
        self.parser: httptools.HttpRequestParser | None = None
        self.target = b""
        self.body = b""
        self.started = False
        self.head_done = False
        self.complete = False
        self.keep_alive = True
        self.method = b""

    def on_message_begin(self) -> None:
        self.target, self.body = b"", b""
        self.started, self.head_done, self.complete = True, False, False

    def on_url(self, url: bytes) -> None:
        self.target += url

    def on_headers_complete(self) -> None:
        assert self.parser is not None
        self.head_done = True
        self.method = self.parser.get_method()

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        assert self.parser is not None
        # llhttp resets its flags once this returns: ask now.
        self.keep_alive = self.parser.should_keep_alive()
        self.complete = True


def llhttp_framing(data: bytes) -> Framing:
    """Frame ``data`` as llhttp does, with its strict defaults."""
    calls = _Callbacks()
    parser = httptools.HttpRequestParser(calls)
    calls.parser = parser
    requests: list[Message] = []
    exact = len(data) <= EXACT_UP_TO
    step = 1 if exact else BLOCK
    for offset in range(0, len(data), step):
        try:
            parser.feed_data(data[offset : offset + step])
        except httptools.HttpParserUpgrade:
            # CONNECT or an Upgrade: no more HTTP on this connection after
            # the request (llhttp ends it, then stops).
            if calls.complete:
                requests.append(
                    Message(calls.method, calls.target, calls.body)
                )
            return Framing("llhttp", tuple(requests), CLOSED, "upgrade")
        except httptools.HttpParserError as e:
            rejected = None
            if calls.started and calls.head_done and not calls.complete:
                rejected = Message(calls.method, calls.target)
            return Framing(
                "llhttp", tuple(requests), REJECTED, str(e), rejected
            )
        if calls.complete:
            calls.complete = calls.started = False
            end = offset + 1 if exact else None
            requests.append(
                Message(calls.method, calls.target, calls.body, end)
            )
            if not calls.keep_alive:
                return Framing(
                    "llhttp", tuple(requests), CLOSED, "not kept alive"
                )
    if calls.started and calls.head_done:
        unfinished = Message(calls.method, calls.target)
        return Framing("llhttp", tuple(requests), INCOMPLETE, "", unfinished)
    if calls.started:
        return Framing("llhttp", tuple(requests), INCOMPLETE)
    return Framing("llhttp", tuple(requests), END)


def references(data: bytes) -> tuple[Framing, Framing]:
    """How h11 and llhttp frame ``data``."""
    return h11_framing(data), llhttp_framing(data)


def refs_agree(refs: Sequence[Framing]) -> bool:
    """Whether the references read the same requests and stop alike."""
    first, *others = refs
    return all(
        len(first.requests) == len(other.requests)
        and all(
            a.same_as(b)
            for a, b in zip(first.requests, other.requests, strict=True)
        )
        and (first.outcome == other.outcome)
        for other in others
    )


def compare(
    served: Sequence[Message], statuses: Sequence[int], ref: Framing
) -> str | None:
    """Why the server's framing differs from ``ref``'s; None if it agrees.

    ``served`` are the requests the application received, in order;
    ``statuses`` the final statuses the server answered with, in order.
    """
    expected = ref.requests
    n, k = len(served), len(expected)
    for i in range(min(n, k)):
        if not served[i].same_as(expected[i]):
            return (
                f"request {i} is not the same: the server read"
                f" {served[i]}, {ref.parser} reads {expected[i]}"
            )
    if n > k:
        partial = ref.unfinished
        answered_early = (
            n == k + 1
            and partial is not None
            and served[k].body is None
            and served[k].same_as(partial)
        )
        if not answered_early:
            return (
                f"the server served request {k} ({served[k]}), which"
                f" {ref.parser} does not read ({ref.outcome}"
                + (f": {ref.reason}" if ref.reason else "")
                + ")"
            )
    if len(statuses) < n:
        return f"{n} requests served, but only {len(statuses)} answers"
    if len(statuses) > n + 1:
        return f"{n} requests served, but {len(statuses)} answers"
    if len(statuses) == n + 1 and statuses[n] < 400:
        return (
            f"answer {n} is {statuses[n]}, but the application received"
            f" only {n} request(s)"
        )
    if n < k and len(statuses) == n:
        return (
            f"the server stopped after {n} request(s) without an error"
            f" answer; {ref.parser} reads request {n} ({expected[n]})"
        )
    if n >= k and ref.outcome in (END, CLOSED) and len(statuses) > n:
        return (
            f"an error answer ({statuses[n]}) after the last request,"
            f" where {ref.parser} sees nothing more ({ref.outcome})"
        )
    return None


def disagreement(
    data: bytes,
    served: Sequence[Message],
    statuses: Sequence[int],
    refs: Sequence[Framing] | None = None,
) -> str | None:
    """Why the server framed ``data`` unlike every reference; None where
    it agrees with at least one of them. The message shows the input, the
    server's requests and statuses, and each reference's framing."""
    refs = references(data) if refs is None else refs
    reasons = [compare(served, statuses, ref) for ref in refs]
    if any(reason is None for reason in reasons):
        return None
    lines = [f"The server framed {data[:400]!r} unlike h11 and llhttp:"]
    lines += [
        f"- against {r.parser}: {why}"
        for r, why in zip(refs, reasons, strict=True)
    ]
    lines.append(f"server: {len(served)} request(s), answers {list(statuses)}")
    lines += [f"  {i}: {m}" for i, m in enumerate(served)]
    lines += [str(ref) for ref in refs]
    return "\n".join(lines)


def legal_target(target: bytes) -> bytes:
    """``target`` with each byte above 0x7F percent-encoded: what a client
    sends (RFC 3986 2.1) for the raw non-ASCII bytes that neither
    reference takes in a request-target (RFC 9112 3.2 allows none)."""
    return b"".join(
        b"%%%02X" % byte if byte > 0x7F else bytes([byte]) for byte in target
    )


def lenient_only_in_targets(
    data: bytes, served: Sequence[Message], statuses: Sequence[int]
) -> bool:
    """Whether the server's framing of ``data`` agrees with a reference
    once the raw non-ASCII bytes of the targets it served are
    percent-encoded: the server took a target that both references
    refuse, and framed every request as they do. No boundary moves with
    a target's bytes (the request line ends at its CRLF either way), so
    this is a lenient reading, counted apart, not a framing difference."""
    legal = []
    for message in served:
        target = legal_target(message.target)
        if target != message.target:
            old, new = b" " + message.target + b" ", b" " + target + b" "
            data = data.replace(old, new)
        legal.append(dataclasses.replace(message, target=target, end=None))
    if legal == list(served):
        return False
    return disagreement(data, legal, statuses) is None


def stricter(
    served: Sequence[Message], statuses: Sequence[int], refs: Sequence[Framing]
) -> int | None:
    """The status with which the server refused a request that every
    reference reads (None if it did not): allowed, and counted."""
    n = len(served)
    if len(statuses) == n + 1 and all(len(r.requests) > n for r in refs):
        return statuses[n]
    return None
