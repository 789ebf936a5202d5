"""kopf logs in with augur's own credentials: the same server, CA, token or client
certificate, renewed when kopf asks again."""

from __future__ import annotations

import base64
import json
import ssl
from datetime import UTC, datetime
from pathlib import Path

import kopf
import pytest
from kopf._core.intents.causes import Activity

from augur.controllers import settings
from augur.controllers.registry import registry
from augur.controllers.settings import connection_info
from augur.dev.certs import make_certificates
from augur.kube.credentials import Auth, Credentials


def test_the_one_login_handler_is_augurs() -> None:
    """kopf falls back to its own logins (piggybacking on the kubernetes package when it is
    installed) only when no login handler is registered."""
    handlers = registry._activities.get_handlers(activity=Activity.AUTHENTICATION)
    assert [h.fn for h in handlers] == [settings.login]


def jwt(exp: int) -> str:
    claims = base64.urlsafe_b64encode(json.dumps({"exp": exp}).encode()).decode().rstrip("=")
    return f"eyJhbGciOiJSUzI1NiJ9.{claims}.c2ln"


def test_a_token_file_is_handed_to_kopf_with_its_expiry(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(jwt(1_800_000_000))
    credentials = Credentials(
        server="https://10.0.0.1:443", ca_file="/sa/ca.crt", token_file=str(token)
    )
    info, given = connection_info(credentials, None)
    assert (info.server, info.ca_path, info.ca_data) == ("https://10.0.0.1:443", "/sa/ca.crt", None)
    assert info.as_http_headers() == {"Authorization": f"Bearer {jwt(1_800_000_000)}"}
    # kopf logs in again when the token expires (not each time augur reads the file again).
    assert info.expiration == datetime.fromtimestamp(1_800_000_000, UTC)
    # kopf asks again (a 401, an expiry) and augur had not read it again: it is read now.
    token.write_text(jwt(1_800_003_600))
    info, again = connection_info(credentials, given)
    assert info.token == jwt(1_800_003_600)
    assert info.expiration == datetime.fromtimestamp(1_800_003_600, UTC)
    assert again is not given


def test_what_kopf_was_not_given_yet_is_not_renewed(tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text("first")
    credentials = Credentials(server="https://x", token_file=str(token))
    current = credentials.auth()  # augur's client read it
    token.write_text("second")
    info, given = connection_info(credentials, None)
    assert (info.token, given) == ("first", current)


def test_a_client_certificate_makes_kopfs_tls_context(tmp_path: Path) -> None:
    certs = make_certificates(tmp_path)
    for auth in (
        Auth(cert_file=str(certs.admin.cert), key_file=str(certs.admin.key)),
        Auth(cert_data=certs.admin.cert.read_bytes(), key_data=certs.admin.key.read_bytes()),
    ):
        credentials = Credentials(
            server="https://127.0.0.1:6443", ca_data=certs.serving_ca.cert.read_bytes(), static=auth
        )
        info, _ = connection_info(credentials, None)
        assert info.as_http_headers() == {}
        assert info.expiration is None
        context = info.as_ssl_context()  # kopf's own reading of what it was given
        assert context.verify_mode == ssl.CERT_REQUIRED
        assert context.get_ca_certs()[0]["subject"] == ((("commonName", "augur-serving-ca"),),)


def test_insecure_and_basic_authentication() -> None:
    credentials = Credentials(
        server="https://x", insecure=True, static=Auth(username="ada", password="pw")
    )
    info, _ = connection_info(credentials, None)
    assert info.insecure is True
    assert info.as_ssl_context().verify_mode == ssl.CERT_NONE
    assert info.as_http_headers()["Authorization"].startswith("Basic ")


def test_a_failing_login_is_kopfs_login_error(tmp_path: Path) -> None:
    credentials = Credentials(server="https://x", token_file=str(tmp_path / "gone"), source="sa")
    with pytest.raises(kopf.LoginError, match="cannot read the token file"):
        connection_info(credentials, None)
