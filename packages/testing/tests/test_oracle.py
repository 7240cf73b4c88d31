"""The oracle: how h11 and llhttp frame byte streams, and the comparison
with a server's framing. Tables of bytes, no socket."""

import unittest

from gocept.httpserverlayer._testing.oracle import CLOSED
from gocept.httpserverlayer._testing.oracle import END
from gocept.httpserverlayer._testing.oracle import INCOMPLETE
from gocept.httpserverlayer._testing.oracle import REJECTED
from gocept.httpserverlayer._testing.oracle import Message
from gocept.httpserverlayer._testing.oracle import disagreement
from gocept.httpserverlayer._testing.oracle import legal_target
from gocept.httpserverlayer._testing.oracle import lenient_only_in_targets
from gocept.httpserverlayer._testing.oracle import references
from gocept.httpserverlayer._testing.strategies import SMUGGLED

GET = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
CHUNKED = b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"

# (input, [(method, target, body) read by both], outcome of both)
AGREED = [
    (GET + SMUGGLED, [(b"GET", b"/", b""), (b"GET", b"/smuggled", b"")],
     END),
    (CHUNKED + b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLED,
     [(b"POST", b"/", b"hello"), (b"GET", b"/smuggled", b"")], END),
    (GET + b"GET / HT", [(b"GET", b"/", b"")], INCOMPLETE),
    (b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" + SMUGGLED,
     [(b"GET", b"/", b"")], CLOSED),
    # RFC 9112 7.1: CRLF ends each chunk line (the findings of issue 13).
    (CHUNKED + b"5\nhello\n0\n\n" + SMUGGLED, [], REJECTED),
    (CHUNKED + b"0\r\n" + SMUGGLED, [], REJECTED),
    (CHUNKED + b" 5\r\nhello\r\n0\r\n\r\n" + SMUGGLED, [], REJECTED),
    (CHUNKED + b"\x0b5\r\nhello\r\n0\r\n\r\n" + SMUGGLED, [], REJECTED),
    (CHUNKED.replace(b"chunked", b"chunked\r") + b"0\r\n\r\n", [], REJECTED),
    (b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length : 5\r\n\r\nhello", [],
     REJECTED),
    (b"GET /\r\n" + SMUGGLED, [], REJECTED),
]  # fmt: skip


def read(framing):
    return [(m.method, m.target, m.body) for m in framing.requests]


class ReferencesTest(unittest.TestCase):
    def test_both_references_frame_these_alike(self):
        for data, requests, outcome in AGREED:
            for framing in references(data):
                with self.subTest(data=data, parser=framing.parser):
                    self.assertEqual(
                        (requests, outcome), (read(framing), framing.outcome)
                    )

    def test_ends_are_offsets_after_each_request(self):
        for framing in references(GET + SMUGGLED):
            self.assertEqual(
                [len(GET), len(GET + SMUGGLED)],
                [m.end for m in framing.requests],
            )

    def test_references_differ_where_rfc_9112_leaves_room(self):
        # h11 gives Transfer-Encoding precedence, llhttp refuses the pair.
        data = CHUNKED.replace(b"\r\n\r\n", b"\r\nContent-Length: 3\r\n\r\n")
        h11, llhttp = references(data + b"0\r\n\r\n")
        self.assertEqual((1, REJECTED), (len(h11.requests), llhttp.outcome))
        # h11 takes white space after a chunk size, llhttp refuses it.
        h11, llhttp = references(CHUNKED + b"5 \r\nhello\r\n0\r\n\r\n")
        self.assertEqual((1, REJECTED), (len(h11.requests), llhttp.outcome))

    def test_the_head_of_an_unfinished_request_is_kept(self):
        for end, outcome in [(b"zz\r\n", REJECTED), (b"5\r\nhe", INCOMPLETE)]:
            for framing in references(CHUNKED + end):
                unfinished = framing.unfinished
                self.assertEqual(
                    (outcome, b"POST", b"/"),
                    (framing.outcome, unfinished.method, unfinished.target),
                )


def msg(target, body=b"", method=b"GET"):
    return Message(method, target, body)


PIPELINED = GET + SMUGGLED

# (input, what the application received, the final statuses, whether the
# server agrees with a reference)
SERVERS = [
    (PIPELINED, [msg(b"/"), msg(b"/smuggled")], [200, 200], True),
    # Stricter: refuses the second request, with an error status.
    (PIPELINED, [msg(b"/")], [200, 400], True),
    # Drops the second request without a word.
    (PIPELINED, [msg(b"/")], [200], False),
    # Reads a different body (a chunked body taken as empty).
    (CHUNKED + b"5\r\nhello\r\n0\r\n\r\n",
     [msg(b"/", b"", b"POST")], [200, 400], False),
    # Serves the request hidden after a malformed chunked body.
    (CHUNKED + b"0\r\n" + SMUGGLED,
     [msg(b"/", None, b"POST"), msg(b"/smuggled")], [200, 200], False),
    # Answers the malformed one before its body, then closes: allowed.
    (CHUNKED + b"0\r\n" + SMUGGLED, [msg(b"/", None, b"POST")], [200], True),
    # Answers a request before its body, which never ends: allowed.
    (CHUNKED + b"5\r\nhe", [msg(b"/", None, b"POST")], [200], True),
    # Refuses it, as both references do.
    (CHUNKED + b"0\r\n" + SMUGGLED, [], [400], True),
    # Answers twice.
    (GET, [msg(b"/")], [200, 400], False),
    # HTTP/1.0 keep-alive: h11 closes after it, llhttp goes on.
    (b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + SMUGGLED,
     [msg(b"/"), msg(b"/smuggled")], [200, 200], True),
]  # fmt: skip


class DisagreementTest(unittest.TestCase):
    def test_servers_framing_is_held_to_the_references(self):
        for data, served, statuses, agrees in SERVERS:
            with self.subTest(data=data, served=served, statuses=statuses):
                why = disagreement(data, served, statuses)
                self.assertEqual(agrees, why is None, why)

    def test_the_message_shows_input_server_and_references(self):
        why = disagreement(PIPELINED, [msg(b"/")], [200])
        self.assertIn("the server stopped after 1 request(s) without", why)
        self.assertIn("h11: 2 request(s), then end", why)
        self.assertIn("llhttp: 2 request(s), then end", why)


class LenientTargetTest(unittest.TestCase):
    RAW = b"GET /\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n" + SMUGGLED

    def test_non_ascii_bytes_are_percent_encoded(self):
        self.assertEqual(b"/%C3%A9?a=%FF", legal_target(b"/\xc3\xa9?a=\xff"))

    def test_a_raw_target_framed_as_the_references_do_is_lenient(self):
        served = [msg(b"/\xc3\xa9"), msg(b"/smuggled")]
        self.assertIsNotNone(disagreement(self.RAW, served, [200, 200]))
        self.assertTrue(lenient_only_in_targets(self.RAW, served, [200, 200]))

    def test_other_differences_stay_differences(self):
        # The second request dropped without an error answer.
        served = [msg(b"/\xc3\xa9")]
        self.assertFalse(lenient_only_in_targets(self.RAW, served, [200]))
        # No raw byte in any target: nothing to be lenient about.
        self.assertFalse(
            lenient_only_in_targets(PIPELINED, [msg(b"/")], [200])
        )
