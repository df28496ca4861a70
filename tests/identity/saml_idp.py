"""A real SAML 2.0 identity provider for the tests: pysaml2's own IdP side (saml2.server.Server)
behind a small HTTP server on loopback, with a key pair generated for the test run.

It serves its metadata at /metadata, takes AuthnRequests at /sso/redirect (HTTP-Redirect
binding) and answers with the usual auto-posting form (HTTP-POST binding) carrying a signed
Response. /sso/unsolicited?acs=...&sp=... starts an IdP-initiated sign-in. `IdentityProvider.mode`
is the one test hook: it makes the IdP answer unsigned, signed with a key its metadata does not
name, for another audience, or already expired. Everything else is pysaml2's protocol code.
"""

import base64
import datetime as dt
import html
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server

MODES = ("", "unsigned", "wrong_key", "wrong_audience", "expired")


def key_pair_write(directory: Path, name: str) -> tuple[str, str]:
    """A fresh RSA key and a self-signed certificate for it, as PEM files."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"test {name}")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


def _server(*, base_url: str, key: tuple[str, str], sp_metadata: list[str]) -> Server:
    config = IdPConfig()
    config.load(
        {
            "entityid": f"{base_url}/metadata",
            "key_file": key[0],
            "cert_file": key[1],
            "metadata": {"inline": sp_metadata},
            "allow_unknown_attributes": True,
            "service": {
                "idp": {
                    "name": "Test IdP",
                    "endpoints": {
                        "single_sign_on_service": [
                            (f"{base_url}/sso/redirect", BINDING_HTTP_REDIRECT)
                        ],
                    },
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "policy": {"default": {"lifetime": {"minutes": 5}}},
                }
            },
        }
    )
    return Server(config=config)


@dataclass
class IdentityProvider:
    directory: Path
    url: str = ""
    mode: str = ""
    # Who signs in: the NameID (an email address) and the attributes released.
    email: str = "ada@example.com"
    attributes: dict[str, list[str]] = field(default_factory=dict)
    sp_metadata: list[str] = field(default_factory=list)
    _key: tuple[str, str] = ("", "")
    _rogue_key: tuple[str, str] = ("", "")
    _httpd: ThreadingHTTPServer | None = None

    def start(self) -> None:
        self._key = key_pair_write(self.directory, "idp")
        self._rogue_key = key_pair_write(self.directory, "rogue")
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()

    @property
    def entity_id(self) -> str:
        return f"{self.url}/metadata"

    def server(self, *, rogue: bool = False) -> Server:
        key = self._rogue_key if rogue else self._key
        return _server(base_url=self.url, key=key, sp_metadata=self.sp_metadata)

    def metadata_xml(self) -> str:
        return str(entity_descriptor(self.server().config))

    def respond(self, *, in_response_to: str | None, acs: str, sp_entity_id: str) -> str:
        """A base64 SAMLResponse for Ada (as `mode` says), the way the IdP answers."""
        server = self.server(rogue=self.mode == "wrong_key")
        lifetime = {"minutes": -10} if self.mode == "expired" else {"minutes": 5}
        audience = "https://elsewhere.example/saml" if self.mode == "wrong_audience" else None
        response = server.create_authn_response(
            identity={"mail": [self.email], "displayName": ["Ada Lovelace"], **self.attributes},
            in_response_to=in_response_to,
            destination=acs,
            sp_entity_id=audience or sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=self.email),
            authn={"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"},
            sign_assertion=self.mode != "unsigned",
            sign_response=False,
            release_policy=Policy({"default": {"lifetime": lifetime}}, mds=server.metadata),
        )
        return base64.b64encode(str(response).encode()).decode()


def _post_form(acs: str, saml_response: str, relay_state: str) -> bytes:
    return (
        "<!doctype html><html><body onload='document.forms[0].submit()'>"
        f"<form method='post' action='{html.escape(acs)}'>"
        f"<input type='hidden' name='SAMLResponse' value='{saml_response}'>"
        f"<input type='hidden' name='RelayState' value='{html.escape(relay_state)}'>"
        "<button type='submit'>Continue</button></form></body></html>"
    ).encode()


def _handler(idp: IdentityProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/metadata":
                self._send(idp.metadata_xml().encode(), "application/samlmetadata+xml")
            elif url.path == "/sso/redirect":
                server = idp.server()
                request = server.parse_authn_request(
                    query["SAMLRequest"], BINDING_HTTP_REDIRECT
                ).message
                # The ACS the request names, else the first one in the SP's metadata.
                acs = request.assertion_consumer_service_url
                if not acs:
                    sp = server.metadata.assertion_consumer_service(
                        request.issuer.text, BINDING_HTTP_POST
                    )
                    acs = sp[0]["location"]
                body = idp.respond(
                    in_response_to=request.id, acs=acs, sp_entity_id=request.issuer.text
                )
                self._send(_post_form(acs, body, query.get("RelayState", "")), "text/html")
            elif url.path == "/sso/unsolicited":
                body = idp.respond(in_response_to=None, acs=query["acs"], sp_entity_id=query["sp"])
                self._send(_post_form(query["acs"], body, query.get("RelayState", "")), "text/html")
            else:
                self.send_error(404)

    return Handler
