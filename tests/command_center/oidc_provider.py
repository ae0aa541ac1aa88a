"""A real OpenID Connect provider on loopback (oidc-provider-mock, a Flask app
built on Authlib) in a thread, and the settings that point mlgov at it.

`provider.tamper` makes the provider's token endpoint hand out a doctored ID
token, as a hostile or misconfigured provider would: one for another
audience or already expired (signed with the provider's own key, so only
that claim is wrong), or one signed with a key that is not the provider's."""

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import flask
import jwt
import oidc_provider_mock
import pytest
import requests
import werkzeug.serving
from cryptography.hazmat.primitives.asymmetric import rsa

CLIENT_ID = "mlgov"
CLIENT_SECRET = "loopback-client-secret"
PROVIDER_NAME = "Loopback IdP"
GROUP_ROLES = {
    "mlgov-viewers": "viewer",
    "mlgov-reviewers": "reviewer",
    "mlgov-admins": ["governance_admin", "auditor"],
}
TEAM_PREFIX = "mlgov-team-"
TAMPER_MODES = ("wrong_audience", "expired", "bad_signature")


@dataclass
class TokenTamperer:
    """WSGI middleware around the provider: rewrites the ID token its token
    endpoint returns when `mode` is set."""

    app: object
    private_pem: bytes = b""
    mode: str | None = None
    stranger_key: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(
            public_exponent=65537, key_size=2048
        )
    )

    def __call__(self, environ, start_response):
        if self.mode is None or environ.get("PATH_INFO") != "/oauth2/token":
            return self.app(environ, start_response)
        captured: dict = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.app(environ, capture))
        answer = json.loads(body)
        if "id_token" in answer:
            answer["id_token"] = self.doctor(answer["id_token"])
        body = json.dumps(answer).encode()
        headers = [
            (name, value)
            for name, value in captured["headers"]
            if name.lower() != "content-length"
        ] + [("Content-Length", str(len(body)))]
        start_response(captured["status"], headers)
        return [body]

    def doctor(self, id_token: str) -> str:
        header = jwt.get_unverified_header(id_token)
        claims = jwt.decode(id_token, options={"verify_signature": False})
        key: object = self.private_pem
        if self.mode == "wrong_audience":
            claims["aud"] = "another-application"
        elif self.mode == "expired":
            claims["iat"] = int(time.time()) - 7200
            claims["exp"] = int(time.time()) - 3600
        elif self.mode == "bad_signature":
            key = self.stranger_key
        kid = {"kid": header["kid"]} if "kid" in header else None
        return jwt.encode(claims, key, algorithm="RS256", headers=kid)


@dataclass
class LoopbackProvider:
    """The running provider: its address, and the users it knows."""

    base_url: str
    tamperer: TokenTamperer

    def set_user(self, sub: str, *, groups: list[str], **claims: object) -> None:
        """Create or replace a user at the provider, with these groups."""
        answer = requests.put(
            f"{self.base_url}/users/{sub}",
            json={"email": sub, "groups": groups, **claims},
            timeout=10,
        )
        answer.raise_for_status()

    def tamper(self, mode: str | None) -> None:
        self.tamperer.mode = mode


@pytest.fixture(scope="session")
def oidc_provider() -> Iterator[LoopbackProvider]:
    # Plain HTTP on loopback; Authlib insists on HTTPS otherwise.
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    app = oidc_provider_mock.app()
    with app.test_request_context():
        app.preprocess_request()
        private_pem = flask.g.oidc_provider_mock_storage.jwk.as_pem(is_private=True)
    tamperer = TokenTamperer(app.wsgi_app, private_pem=private_pem)
    app.wsgi_app = tamperer  # type: ignore[method-assign]
    server = werkzeug.serving.make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.1,), daemon=True)
    thread.start()
    try:
        yield LoopbackProvider(
            base_url=f"http://127.0.0.1:{server.server_port}", tamperer=tamperer
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def sso_settings(settings, oidc_provider):
    """mlgov configured for the loopback provider, as the environment would."""
    base = oidc_provider.base_url
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = PROVIDER_NAME
    settings.OIDC_OP_ISSUER = base
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{base}/oauth2/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{base}/oauth2/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{base}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{base}/jwks"
    settings.OIDC_GROUP_ROLES = GROUP_ROLES
    settings.OIDC_TEAM_PREFIX = TEAM_PREFIX
    oidc_provider.tamper(None)
    yield settings
    oidc_provider.tamper(None)


def sign_in_through_provider(client, sub: str, *, next_path: str = ""):
    """The browser's round trip: mlgov -> provider (the person picks `sub`)
    -> mlgov's callback. Returns the callback's response."""
    start = client.get(
        "/oidc/authenticate/" + (f"?next={next_path}" if next_path else "")
    )
    assert start.status_code == 302, start
    authorized = requests.post(
        start["Location"], data={"sub": sub}, allow_redirects=False, timeout=10
    )
    assert authorized.status_code == 302, authorized.text
    callback = urlsplit(authorized.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")
