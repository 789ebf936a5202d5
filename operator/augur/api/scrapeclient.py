"""How Prometheus talks to a scrape target: TLS and authentication, every secret from a Secret.

Prometheus reads each secret from a file augur mounts (the stack's credentials Secret); no
field takes a file path, so no scrape entry can make Prometheus send a file of its own (its
ServiceAccount token) to a target. What Prometheus refuses of an HTTP client configuration
(common/config `HTTPClientConfig.Validate`) is refused here: more than one of basicAuth,
authorization and oauth2, an authorization of type Basic, a client certificate without its
key.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from augur.api.common import ApiModel, HttpURL, SecretRef

TLSVersion = Literal["TLS10", "TLS11", "TLS12", "TLS13"]


class BasicAuth(ApiModel):
    """HTTP basic authentication, both parts from Secrets."""

    username: SecretRef
    """The user name, from a Secret in the stack's namespace."""
    password: SecretRef
    """The password, from a Secret in the stack's namespace."""


class ScrapeTLSConfig(ApiModel):
    """TLS towards the targets; the certificates and key from Secrets of the stack's namespace."""

    ca: SecretRef | None = None
    """CA certificate(s) (PEM) the targets' certificates are verified with; unset: the
    system's."""
    cert: SecretRef | None = None
    """Client certificate (PEM) presented to the targets; needs key."""
    key: SecretRef | None = None
    """The client certificate's private key (PEM); needs cert."""
    server_name: str | None = Field(default=None, max_length=253)
    """Name the targets' certificates are verified against (SNI); unset: the target's host."""
    insecure_skip_verify: bool = False
    """Do not verify the targets' certificates (default false)."""
    min_version: TLSVersion | None = None
    """Oldest TLS version accepted (TLS10 … TLS13); unset: Prometheus' default (TLS12)."""

    @model_validator(mode="after")
    def _cert_and_key(self) -> ScrapeTLSConfig:
        if (self.cert is None) != (self.key is None):
            raise ValueError("cert and key go together: set both or neither")
        return self


class ScrapeAuthorization(ApiModel):
    """An Authorization header: `<type> <credentials>`."""

    type: str = Field(default="Bearer", pattern=r"^[A-Za-z][-A-Za-z0-9]*$", max_length=64)
    """The scheme; default Bearer (Basic is basicAuth's)."""
    credentials: SecretRef
    """The token, from a Secret in the stack's namespace."""

    @field_validator("type")
    @classmethod
    def _not_basic(cls, value: str) -> str:
        if value.lower() == "basic":
            raise ValueError("type Basic is basicAuth's: use basicAuth")
        return value


class ScrapeOAuth2(ApiModel):
    """OAuth 2.0 client credentials: Prometheus fetches a token and sends it to the targets."""

    client_id: str = Field(min_length=1, max_length=1024)
    """The client's ID at the token endpoint (not secret)."""
    client_secret: SecretRef
    """The client's secret, from a Secret in the stack's namespace."""
    token_url: HttpURL
    """Where the token is fetched from."""
    scopes: list[str] = Field(default_factory=list, max_length=64)
    """Scopes the token is asked for; default none."""
    endpoint_params: dict[str, str] = Field(default_factory=dict)
    """Extra parameters of the token request."""


def one_authentication(
    basic_auth: object | None, authorization: object | None, oauth2: object | None
) -> None:
    """Prometheus takes at most one way to authenticate a scrape."""
    used = [
        name
        for name, value in (
            ("basicAuth", basic_auth),
            ("authorization", authorization),
            ("oauth2", oauth2),
        )
        if value is not None
    ]
    if len(used) > 1:
        raise ValueError(
            f"set at most one of basicAuth, authorization and oauth2 (not {', '.join(used)})"
        )


ScrapeProtocol = Literal[
    "PrometheusProto",
    "OpenMetricsText0.0.1",
    "OpenMetricsText1.0.0",
    "PrometheusText0.0.4",
    "PrometheusText1.0.0",
]
