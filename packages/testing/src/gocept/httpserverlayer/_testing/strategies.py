"""What the hostile-input runs share: hypothesis settings, the strategies
of hostile requests and smuggling shapes, and the request that a smuggling
input hides in a body.

:func:`requests` draws most parts of a request sane and some hostile, so
that the hostile part gets past the checks before it: malformed request
lines, headers (obs-fold, bare CR, non-UTF-8), chunked bodies, odd and
percent-encoded paths, sometimes a second request pipelined after.
:func:`smuggling` draws framings that two readings can disagree on.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck
from hypothesis import settings
from hypothesis import strategies as st

# The request a smuggling shape hides after the body its framing declares:
# a server that serves it has split the stream differently from its
# client's reading of the framing.
SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


def settings_for(count: int) -> Any:
    """Settings for a run of ``count`` inputs that CI repeats exactly:
    derandomized, no example database, no deadline (a socket round trip
    per input), no health checks (slow generation is not an error here)."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


# Strategies ---------------------------------------------------------------

EOL = st.sampled_from([b"\r\n"] * 6 + [b"\n", b"\r", b"\r\r\n", b"\n\r"])
SP = st.sampled_from([b" "] * 6 + [b"  ", b"\t", b"\x0b", b""])
METHOD = st.one_of(
    st.sampled_from([b"GET", b"POST", b"PUT", b"OPTIONS", b"DELETE"]),
    st.sampled_from([b"get", b"G\xc3\x89T", b"GET\x00", b"", b"PRI"]),
    st.binary(max_size=8),
).filter(lambda m: m.upper() != b"HEAD")  # bodyless answers: not parsed
SEGMENT = st.one_of(
    st.sampled_from(
        [
            b"a",
            b"..",
            b"%2e%2e",
            b"%252e%252e",
            b".%2e",
            b"%00",
            b"%ff",
            b"\xff\xfe",
            b"%C3%A9",
            b"\xc3\xa9",
            b"index.html",
            b"",
            b"%2f",
            b"\\",
            b"..\\..",
            b"%5c",
            b"~",
            b"%",
            b"%zz",
            b"%%32e",
        ]
    ),  # fmt: skip
    st.binary(max_size=6),
)
TARGET = st.one_of(
    st.lists(SEGMENT, max_size=6).map(lambda s: b"/" + b"/".join(s)),
    st.sampled_from(
        [
            b"*",
            b"http://x/a",
            b"https://x",
            b"HTTP://x/%2e%2e/",
            b"//x",
            b"a",
            b"/a#frag",
            b"/?" + b"q" * 100,
            b"/" + b"a" * 17000,
            b"/\x00",
            b"/a b",
            b"/etc/passwd",
            b"\\etc\\passwd",
        ]
    ),  # fmt: skip
    st.binary(max_size=30),
)
VERSION = st.one_of(
    st.sampled_from([b"HTTP/1.1"] * 4 + [b"HTTP/1.0"] * 2),
    st.sampled_from(
        [
            b"HTTP/2.0",
            b"HTTP/0.9",
            b"http/1.1",
            b"HTTP/1.1 ",
            b"HTTP/1",
            b"HTTP/11",
            b"",
            b"HTTP/1.1\r",
            b"HTTP/\xd9\xa1.1",
            b"HTTP/1.2",
        ]
    ),  # fmt: skip
)
NAME = st.one_of(
    st.sampled_from(
        [
            b"Host",
            b"Content-Length",
            b"Transfer-Encoding",
            b"Connection",
            b"Expect",
            b"X-A",
            b"Content-Type",
            b"Cookie",
            b"X_Forwarded",
            b"Host ",
            b" Host",
            b"",
            b"content-length",
            b"Te",
        ]
    ),  # fmt: skip
    st.binary(max_size=10),
)
VALUE = st.one_of(
    st.sampled_from(
        [
            b"x",
            b"0",
            b"5",
            b"-1",
            b"+5",
            b"0x5",
            b"5, 5",
            b"5, 6",
            b"1e3",
            b"chunked",
            b"Chunked",
            b"chunked, identity",
            b"identity",
            b"close",
            b"keep-alive",
            b"100-continue",
            b"\xff\xfe",
            b"a\rb",
            b"a\x00b",
            b"99999999999999999999",
            b"\xb2",
            b" 5 ",
            b"\xd9\xa5",
        ]
    ),  # fmt: skip
    st.binary(max_size=20),
)
SEPARATOR = st.sampled_from([b": "] * 4 + [b":", b" : ", b":\t", b""])
HEADER = st.tuples(NAME, SEPARATOR, VALUE, EOL).map(b"".join)
FOLD = st.tuples(st.sampled_from([b" ", b"\t"]), VALUE, EOL).map(b"".join)
CHUNKED = st.sampled_from(
    [b"5\r\nhello\r\n0\r\n\r\n", b"5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
     b"5;ext=1\r\nhello\r\n0\r\n\r\n", b"-5\r\nhello\r\n0\r\n\r\n",
     b"0x5\r\nhello\r\n0\r\n\r\n", b"ffffffffffffffffffff\r\nx\r\n",
     b"5\r\nhelloXX0\r\n\r\n", b"5\nhello\n0\n\n", b"3\r\nhello\r\n",
     b" 5\r\nhello\r\n0\r\n\r\n", b"5 \r\nhello\r\n0\r\n\r\n", b"0\r\n",
     b"\r\n", b"G\r\n", b"5\r\nhel"]
)  # fmt: skip


def mostly(draw: Any, valid: Any, hostile: Any) -> Any:
    """Draw ``valid`` four times in five: most parts of an input are sane,
    so that the hostile part gets past the checks before it."""
    return draw(valid if draw(st.integers(0, 4)) else hostile)


GOOD_METHOD = st.sampled_from([b"GET", b"POST", b"PUT", b"DELETE"])
GOOD_TARGET = st.sampled_from([b"/", b"/index.html", b"/a?b=c"])
GOOD_HEADER = st.sampled_from(
    [b"X-A: b\r\n", b"Accept: */*\r\n", b"Content-Length: 5\r\n",
     b"Transfer-Encoding: chunked\r\n", b"Connection: close\r\n",
     b"Expect: 100-continue\r\n", b"Content-Length: 0\r\n"]
)  # fmt: skip


@st.composite
def requests(draw: Any) -> bytes:
    line = [
        mostly(draw, GOOD_METHOD, METHOD),
        mostly(draw, st.just(b" "), SP),
        mostly(draw, GOOD_TARGET, TARGET),
        mostly(draw, st.just(b" "), SP),
        mostly(draw, st.just(b"HTTP/1.1"), VERSION),
        mostly(draw, st.just(b"\r\n"), EOL),
    ]
    headers = [
        mostly(draw, GOOD_HEADER, st.one_of(HEADER, FOLD))
        for _ in range(draw(st.integers(0, 5)))
    ]
    if draw(st.integers(0, 4)):
        headers.insert(0, b"Host: x\r\n")
    body = draw(st.one_of(st.just(b""), CHUNKED, st.binary(max_size=64)))
    end = mostly(draw, st.just(b"\r\n"), EOL)
    data: bytes = b"".join(line) + b"".join(headers) + end + body
    if draw(st.booleans()):
        data += b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n"
    return data


TE_VARIANT = st.sampled_from(
    [b"chunked", b"Chunked", b" chunked", b"chunked ", b"chunked\x0b",
     b"identity, chunked", b"chunked, chunked", b"xchunked", b"chunked;q=1",
     b"\tchunked", b"CHUNKED", b"chunked\r"]
)  # fmt: skip


@st.composite
def smuggling(draw: Any) -> bytes:
    """Shapes where two readings of the framing disagree."""
    body = b"0\r\n\r\n" + SMUGGLED
    shape = draw(st.sampled_from(["cl-te", "te-cl", "cl-cl", "cl-list"]))
    te = b"Transfer-Encoding:" + draw(TE_VARIANT) + b"\r\n"
    cl = b"Content-Length: %d\r\n" % len(body)
    short = b"Content-Length: 5\r\n"
    headers = {
        "cl-te": [cl, te],
        "te-cl": [te, short],
        "cl-cl": [short, cl],
        "cl-list": [b"Content-Length: 5, %d\r\n" % len(body)],
    }[shape]
    if draw(st.booleans()):
        headers.append(b"Transfer-Encoding: chunked\r\n")
    method: bytes = draw(st.sampled_from([b"POST", b"GET", b"PUT"]))
    version: bytes = draw(st.sampled_from([b"HTTP/1.1", b"HTTP/1.0"]))
    return (
        method + b" / " + version + b"\r\nHost: x\r\n"
        + b"".join(draw(st.permutations(headers))) + b"\r\n" + body
    )  # fmt: skip
