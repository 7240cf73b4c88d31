"""What a recorded request carried: query parameters, form fields, files.

Parsed only when a test asks, with the standard library: ``urllib.parse``
for query strings and URL-encoded forms, the ``email`` package for
``multipart/form-data`` (RFC 7578).
"""

from __future__ import annotations

import email.message
import email.parser
import email.policy
from collections.abc import Iterable
from typing import NamedTuple
from urllib.parse import parse_qsl


class Fields(dict[str, str]):
    """Names and values, as a dict of each name's first value.

    ``getall(name)`` lists every value of a name, in the order sent. As a
    dict it compares equal to a plain dict: ``request.form == {"q": "x"}``.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__()
        self._all: dict[str, list[str]] = {}
        for name, value in pairs:
            self._all.setdefault(name, []).append(value)
            self.setdefault(name, value)

    def getall(self, name: str) -> list[str]:
        """Every value of ``name``; an empty list when it was not sent."""
        return list(self._all.get(name, ()))


class Upload(NamedTuple):
    """A file sent in a ``multipart/form-data`` body."""

    filename: str
    content_type: str
    content: bytes


def _media_type(content_type: str) -> email.message.Message:
    message = email.message.Message()
    message["Content-Type"] = content_type or "application/octet-stream"
    return message


def parse_query(query: str) -> Fields:
    """The parameters of a query string (``a=1&b=2``), blank ones too."""
    return Fields(parse_qsl(query, keep_blank_values=True))


def parse_form(
    content_type: str, body: bytes
) -> tuple[Fields, dict[str, Upload]]:
    """The fields and files of a form body; empty for any other body."""
    header = _media_type(content_type)
    media = header.get_content_type()
    charset = str(header.get_param("charset") or "utf-8")
    if media == "application/x-www-form-urlencoded":
        text = body.decode(charset, "replace")
        return Fields(parse_qsl(text, keep_blank_values=True)), {}
    if media != "multipart/form-data":
        return Fields(), {}
    head = f"Content-Type: {content_type}\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        head + body
    )
    fields: list[tuple[str, str]] = []
    files: dict[str, Upload] = {}
    if not message.is_multipart():
        return Fields(), {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        raw = part.get_payload(decode=True)
        content = raw if isinstance(raw, bytes) else b""
        filename = part.get_filename()
        if filename is not None:
            files.setdefault(
                name, Upload(filename, part.get_content_type(), content)
            )
        else:
            part_charset = part.get_content_charset() or charset
            fields.append((name, content.decode(part_charset, "replace")))
    return Fields(fields), files
