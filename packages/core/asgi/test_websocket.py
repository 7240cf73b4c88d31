"""Websockets: handshake, subprotocols, messages, ping/pong, close codes,
denial, errors of the application and malformed frames.

The client is the websockets library (not wsproto, which the engine uses)
and, for what a well-behaved client never sends, a raw socket.
"""

import base64
import os
import socket
import struct
import unittest

import asgiapps
import websockets.exceptions
from asgisupport import wait_for
from asgisupport import ws_connect
from stresskit import captured

from gocept.httpserverlayer.asgi import Layer

LAYER = Layer(asgi_app=asgiapps.app, name="AsgiWebSocket", module=__name__)


class MessageTest(unittest.TestCase):
    layer = LAYER

    def test_text_and_binary_echo(self):
        with ws_connect(self.layer, "/ws/echo") as ws:
            ws.send("grüß dich")
            self.assertEqual("grüß dich", ws.recv())
            ws.send(b"\x00\xff")
            self.assertEqual(b"\x00\xff", ws.recv())

    def test_fragmented_and_large_messages_arrive_whole(self):
        with ws_connect(self.layer, "/ws/echo", max_size=None) as ws:
            ws.send(["frag", "ment", "ed"])
            self.assertEqual("fragmented", ws.recv())
            big = os.urandom(3 * 1024 * 1024)
            ws.send(big)
            self.assertEqual(big, ws.recv())

    def test_ping_is_answered_with_pong(self):
        with ws_connect(self.layer, "/ws/echo") as ws:
            self.assertTrue(ws.ping(b"are you there").wait(5))

    def test_subprotocol_and_headers_of_the_apps_choice(self):
        with ws_connect(
            self.layer, "/ws/echo", subprotocols=["chat.v1", "chat.v2"]
        ) as ws:
            self.assertEqual("chat.v2", ws.subprotocol)
            self.assertEqual("yes", ws.response.headers["x-accepted"])

    def test_compression_is_negotiated(self):
        with ws_connect(self.layer, "/ws/echo") as ws:
            self.assertIn(
                "permessage-deflate",
                ws.response.headers.get("Sec-WebSocket-Extensions", ""),
            )
            ws.send("a" * 10000)
            self.assertEqual("a" * 10000, ws.recv())


class CloseTest(unittest.TestCase):
    layer = LAYER

    def test_app_closes_with_code_and_reason(self):
        with ws_connect(self.layer, "/ws/close") as ws:
            with self.assertRaises(
                websockets.exceptions.ConnectionClosed
            ) as c:
                ws.recv()
        self.assertEqual(
            (4321, "bye"), (c.exception.rcvd.code, c.exception.rcvd.reason)
        )
        record = self.layer["http_requests"].assert_requested(
            "GET", "/ws/close"
        )
        self.assertEqual(4321, record.close_code)

    def test_client_close_code_reaches_the_app_and_the_record(self):
        asgiapps.SEEN.pop("ws", None)
        with ws_connect(self.layer, "/ws/echo") as ws:
            ws.close(4000, "client done")
        wait_for(lambda: asgiapps.SEEN.get("ws"))
        self.assertEqual(
            {
                "type": "websocket.disconnect",
                "code": 4000,
                "reason": "client done",
            },
            asgiapps.SEEN["ws"][-1],
        )
        record = self.layer["http_requests"][0]
        self.assertEqual(4000, record.close_code)

    def test_lost_connection_is_1006(self):
        with ws_connect(self.layer, "/ws/echo", close_timeout=0.01) as ws:
            ws.socket.shutdown(socket.SHUT_RDWR)
            record = self.layer["http_requests"][0]
            wait_for(lambda: record.close_code is not None)
        self.assertEqual(1006, record.close_code)


class DenialTest(unittest.TestCase):
    layer = LAYER

    def test_close_before_accept_is_403(self):
        with self.assertRaises(websockets.exceptions.InvalidStatus) as caught:
            ws_connect(self.layer, "/ws/deny")
        self.assertEqual(403, caught.exception.response.status_code)
        self.layer["http_requests"].assert_requested("GET", "/ws/deny", 403)

    def test_denial_with_a_response_of_the_apps_own(self):
        with self.assertRaises(websockets.exceptions.InvalidStatus) as caught:
            ws_connect(self.layer, "/ws/deny-body")
        response = caught.exception.response
        self.assertEqual(
            (401, b"no entry"), (response.status_code, response.body)
        )

    def test_app_raising_before_accept_gives_500_reported(self):
        with captured() as (stderr, _):
            with self.assertRaises(websockets.exceptions.InvalidStatus) as c:
                ws_connect(self.layer, "/ws/raise-before-accept")
        self.assertEqual(500, c.exception.response.status_code)
        (error,) = self.layer["http_errors"]
        self.assertIn("websocket /ws/raise-before-accept from", error.request)
        self.assertIn("Traceback", stderr.getvalue())

    def test_app_raising_after_accept_closes_1011_reported(self):
        with captured() as (stderr, _):
            with ws_connect(self.layer, "/ws/raise") as ws:
                with self.assertRaises(
                    websockets.exceptions.ConnectionClosed
                ) as c:
                    ws.recv()
        self.assertEqual(1011, c.exception.rcvd.code)
        self.assertEqual(1, len(self.layer["http_errors"]))

    def test_bad_handshake_is_400(self):
        with socket.create_connection(
            ("127.0.0.1", self.layer["http_port"])
        ) as s:
            s.sendall(
                b"GET /ws/echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
                b"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n"
            )
            self.assertTrue(s.recv(4096).startswith(b"HTTP/1.1 400 "))


def handshake(port, path=b"/ws/echo"):
    """A raw socket with an accepted websocket handshake."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    key = base64.b64encode(os.urandom(16))
    sock.sendall(
        b"GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n" % (path, key)
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert head.startswith(b"HTTP/1.1 101 "), head
    return sock


def masked(opcode, payload, fin=True):
    mask = b"\x01\x02\x03\x04"
    data = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return (
        bytes([opcode | (0x80 if fin else 0), 0x80 | len(payload)])
        + mask
        + data
    )


def close_code_from(sock):
    """Read to the end of the connection; the code of the close frame."""
    data = b""
    while chunk := sock.recv(4096):
        data += chunk
    assert data[0] == 0x88, data
    return struct.unpack("!H", data[2:4])[0]


class MalformedFrameTest(unittest.TestCase):
    layer = LAYER

    def check(self, frame, code=1002):
        with ws_connect(self.layer, "/ws/echo") as other:
            with captured() as (stderr, log):
                with handshake(self.layer["http_port"]) as sock:
                    sock.sendall(frame)
                    self.assertEqual(code, close_code_from(sock))
            self.assertEqual(("", []), (stderr.getvalue(), log))
            self.assertEqual([], self.layer["http_errors"])
            record = self.layer["http_requests"][1]
            wait_for(lambda: record.close_code is not None)
            self.assertEqual(code, record.close_code)
            other.send("still there")
            self.assertEqual("still there", other.recv())

    def test_unmasked_frame(self):
        self.check(b"\x81\x02hi")

    def test_reserved_opcode(self):
        self.check(masked(0x3, b"x"))

    def test_reserved_bits(self):
        self.check(bytes([0xC1]) + masked(0x1, b"x")[1:])

    def test_fragmented_control_frame(self):
        self.check(masked(0x9, b"ping", fin=False))

    def test_continuation_without_start(self):
        self.check(masked(0x0, b"x"))

    def test_text_not_utf8_is_1007(self):
        self.check(masked(0x1, b"\xff\xfe"), code=1007)
