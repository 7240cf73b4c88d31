"""HTTPS on request: a throw-away CA and server certificate per layer.

At setUp a layer that serves HTTPS makes, with trustme, a new certificate
authority and a server certificate that it issues for the advertised host
(and for 127.0.0.1 and ::1 as well when that host is ``localhost``). The
CA's certificate goes into a PEM file in a temporary directory of its own,
for clients to trust; the directory is removed at tearDown. Nothing is
downloaded, and nothing is written anywhere else: no client trusts the
certificate unless it is told to.

trustme and cryptography are imported only when a layer serves HTTPS, so
plain HTTP runs do not pay for importing them.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import ssl
import tempfile


def identities(host: str) -> list[str]:
    """The names and addresses the server certificate is issued for."""
    names = [host]
    if host == "localhost":
        # The server listens on both, and a client may use either.
        names += ["127.0.0.1", "::1"]
    return names


class TLS:
    """The certificate material of one HTTPS server.

    Attributes: ``context`` (the server's :class:`ssl.SSLContext`),
    ``directory`` (the temporary directory), ``ca_bundle`` (path of the
    CA certificate, PEM) and ``spki_hash`` (base64 of the SHA-256 of the
    server certificate's SubjectPublicKeyInfo, as Chromium's
    ``--ignore-certificate-errors-spki-list`` takes it).
    """

    def __init__(self, host: str) -> None:
        import trustme
        from cryptography import x509
        from cryptography.hazmat.primitives import serialization

        ca = trustme.CA(organization_name="gocept.httpserverlayer test CA")
        cert = ca.issue_cert(*identities(host))
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self.context)
        leaf = x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes())
        spki = leaf.public_key().public_bytes(
            serialization.Encoding.DER,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
        digest = hashlib.sha256(spki).digest()
        self.spki_hash = base64.b64encode(digest).decode("ascii")
        self.directory: str | None = tempfile.mkdtemp(
            prefix="gocept.httpserverlayer.tls-"
        )
        self.ca_bundle = os.path.join(self.directory, "ca.pem")
        try:
            ca.cert_pem.write_to_path(self.ca_bundle)
        except BaseException:
            self.remove()
            raise

    def remove(self) -> None:
        """Remove the temporary directory (idempotent)."""
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
