"""The OpenID Connect authentication backend: mozilla-django-oidc's code
flow, with the ID token's audience, issuer and lifetime checked, and the
user and its roles and teams settled by `sign_in_with_sso`."""

from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from command_center.exceptions import SignInRefusedError
from command_center.services import sign_in_with_sso
from mlgov.sso import sso_is_configured


class SsoBackend(OIDCAuthenticationBackend):
    """Signs in the person the identity provider vouches for, or raises
    SignInRefusedError saying why not."""

    def authenticate(self, request, **kwargs):
        if not sso_is_configured():
            return None
        return super().authenticate(request, **kwargs)

    def _verify_jws(self, payload, key):
        header = jwt.get_unverified_header(payload)
        if header.get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SignInRefusedError(
                "The identity provider signed the sign-in with "
                f"{header.get('alg')!r}, not the expected {self.OIDC_RP_SIGN_ALGO}."
            )
        try:
            return jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=settings.OIDC_OP_ISSUER,
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise SignInRefusedError(
                "The identity provider's sign-in token has expired. Sign in again; "
                "if this repeats, check the clocks of mlgov and the provider."
            ) from None
        except jwt.InvalidAudienceError:
            raise SignInRefusedError(
                "The identity provider's sign-in token was issued for another "
                "application, not for mlgov."
            ) from None
        except jwt.InvalidIssuerError:
            raise SignInRefusedError(
                "The sign-in token comes from an issuer mlgov does not trust."
            ) from None
        except jwt.InvalidSignatureError:
            raise SignInRefusedError(
                "The sign-in token's signature does not match the identity "
                "provider's keys."
            ) from None
        except jwt.InvalidTokenError as error:
            raise SignInRefusedError(
                f"The identity provider's sign-in token is not valid ({error})."
            ) from None

    def retrieve_matching_jwk(self, token):
        # mozilla-django-oidc's fails with a KeyError on a token without a
        # "kid" header, which providers with a single key may send.
        header = jwt.get_unverified_header(token)
        answer = requests.get(
            self.OIDC_OP_JWKS_ENDPOINT,
            verify=self.get_settings("OIDC_VERIFY_SSL", True),
            timeout=self.get_settings("OIDC_TIMEOUT", None),
            proxies=self.get_settings("OIDC_PROXY", None),
        )
        answer.raise_for_status()
        candidates = [
            key
            for key in answer.json().get("keys", [])
            if key.get("use", "sig") == "sig"
            and key.get("alg", header.get("alg")) == header.get("alg")
            and ("kid" not in header or key.get("kid") == header["kid"])
        ]
        if len(candidates) != 1:
            raise SignInRefusedError(
                "No single key of the identity provider matches the sign-in "
                "token's; check OIDC_OP_JWKS_ENDPOINT."
            )
        return jwt.PyJWK(candidates[0])

    def get_userinfo(self, access_token, id_token, payload):
        # Some providers (Entra ID) put the groups in the ID token only, so
        # the verified token's claims come first and userinfo adds to them.
        userinfo = super().get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            raise SignInRefusedError(
                "The identity provider's user information is about someone else "
                "than its sign-in token."
            )
        return {**payload, **userinfo}

    def get_or_create_user(self, access_token, id_token, payload) -> Any:
        claims = self.get_userinfo(access_token, id_token, payload)
        return sign_in_with_sso(claims=claims)

    def get_user(self, user_id):
        # mozilla-django-oidc's returns deactivated users too.
        return ModelBackend.get_user(self, user_id)
