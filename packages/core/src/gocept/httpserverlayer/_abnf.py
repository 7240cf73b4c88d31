"""The grammar of HTTP/1.1 requests, as regular expressions over bytes.

Each name is the ABNF rule of RFC 9110 (HTTP semantics) or RFC 9112
(HTTP/1.1) it implements, and each comment cites the section that defines
it. :mod:`._parser` applies these rules; nothing else matches HTTP syntax.

Where the RFC lets a recipient choose, the choice is stated here:

* a line of the request head may end in a bare LF (RFC 9112 2.2: a
  recipient MAY take LF as the line terminator and ignore one CR before
  it); inside a chunked body every line ends in CRLF (RFC 9112 7.1), as
  the chunked framing is where a lenient reader lets requests be smuggled;
* a request-target may hold obs-text (bytes 0x80-0xFF), which browsers
  never send and WSGI passes on as latin-1 (PEP 3333); it never holds
  whitespace or another control character;
* a chunk size has at most 20 hex digits and a Content-Length at most 20
  digits (h11's limits): more cannot be a length anyone sends.
"""

from __future__ import annotations

import re

# RFC 9110 5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+"
#   / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
tchar = rb"[-!#$%&'*+.^_`|~0-9A-Za-z]"
# RFC 9110 5.6.2: token = 1*tchar
token = tchar + rb"+"
token_re = re.compile(token)
# RFC 9110 5.6.3: OWS = *( SP / HTAB ); BWS = OWS ("bad" whitespace)
OWS = rb"[ \t]*"
BWS = OWS
# RFC 9110 5.5: obs-text = %x80-FF; field-vchar = VCHAR / obs-text
field_vchar = rb"[\x21-\x7e\x80-\xff]"
# RFC 9110 5.5: field-content = field-vchar
#   [ 1*( SP / HTAB / field-vchar ) field-vchar ]
field_content = rb"%s(?:[\t \x21-\x7e\x80-\xff]*%s)?" % (
    field_vchar, field_vchar
)  # fmt: skip
# RFC 9110 5.5: field-value = *field-content
field_value = rb"(?:" + field_content + rb")?"
# RFC 9110 5.6.4: qdtext = HTAB / SP / "!" / %x23-5B / %x5D-7E / obs-text;
#   quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text );
#   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
quoted_string = (
    rb'"(?:[\t !\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"'
)

# RFC 9112 2.2: a line ends in CRLF; a recipient MAY take a bare LF.
head_eol = rb"\r?\n"
# RFC 9112 2.3: HTTP-version = HTTP-name "/" DIGIT "." DIGIT, where
#   HTTP-name = %s"HTTP" (case-sensitive)
HTTP_version = rb"HTTP/([0-9])\.([0-9])"
# RFC 9112 3.2: request-target, here any run of visible characters (and
# obs-text, see above); its form is checked by the parser.
request_target = rb"[\x21-\x7e\x80-\xff]+"
# RFC 9110 9.1: method = token
method = token

# RFC 9112 3: request-line = method SP request-target SP HTTP-version
request_line = re.compile(
    rb"(%s) (%s) %s%s" % (method, request_target, HTTP_version, head_eol)
)

# RFC 9112 5: field-line = field-name ":" OWS field-value OWS, with
# field-name = token (RFC 9110 5.1). No whitespace between name and colon
# (RFC 9112 5.1), no obs-fold (RFC 9112 5.2: a server MAY reject it).
field_line_ = rb"(%s):%s(%s)%s" % (token, OWS, field_value, OWS)
field_line = re.compile(field_line_ + head_eol)
# The same inside a chunked body's trailer section (RFC 9112 7.1.2), which
# ends every line in CRLF.
trailer_line = re.compile(field_line_ + rb"\r\n")

# RFC 9110 8.6: Content-Length = 1*DIGIT (at most 20, see above)
content_length = re.compile(rb"[0-9]{1,20}")

# RFC 9112 7.1.1: chunk-ext = *( BWS ";" BWS chunk-ext-name
#   [ BWS "=" BWS chunk-ext-val ] ), chunk-ext-name = token,
#   chunk-ext-val = token / quoted-string. Whitespace (BWS) is allowed only
#   around ";" and "=", never after the size or before CRLF.
chunk_ext = rb"(?:%s;%s%s(?:%s=%s(?:%s|%s))?)*" % (
    BWS, BWS, token, BWS, BWS, token, quoted_string
)  # fmt: skip
# RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF,
#   chunk-size = 1*HEXDIG; last-chunk = 1*("0") [ chunk-ext ] CRLF
chunk_line = re.compile(rb"([0-9A-Fa-f]{1,20})" + chunk_ext + rb"\r\n")
# RFC 9112 7.1: chunk-data is followed by CRLF; the trailer section (and
# so the chunked body) ends with an empty line, CRLF.
CRLF = b"\r\n"

# RFC 9112 3.2.1: origin-form = absolute-path [ "?" query ]
origin_form_start = b"/"
# RFC 9112 3.2.2: absolute-form = absolute-URI (RFC 3986 4.3), of which
# a server serves the schemes http and https (RFC 9110 4.2).
absolute_form = re.compile(
    rb"([A-Za-z][A-Za-z0-9+.-]*)://([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?"
)
# RFC 9112 3.2.4: asterisk-form = "*", for OPTIONS only.
asterisk_form = b"*"

# RFC 9110 7.6.1: Connection = #connection-option, a comma-separated list
# of tokens (RFC 9110 5.6.1 allows empty elements and OWS around commas).
list_separator = re.compile(rb"[ \t]*,[ \t]*")
