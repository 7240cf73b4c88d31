"""An HTTP client for the tests: urllib, with Basic auth on request."""

import base64
import urllib.error
import urllib.request


def request(layer, path, data=None, auth=None, headers=None):
    """Request ``path`` from the layer's server; return (status, text)."""
    request = urllib.request.Request(
        f"http://{layer['http_address']}{path}",
        data=data,
        headers=headers or {},
    )
    if auth:
        token = base64.b64encode(":".join(auth).encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
