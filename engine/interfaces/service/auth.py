"""Who is asking, and may they: API keys from the key store, optionally OAuth2 JWT bearer tokens.

Every route except /health names the scope it needs. An admin may do everything. Without
credentials the answer is 401 with a `WWW-Authenticate: Bearer` challenge; with a valid
credential lacking the scope, 403.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.interfaces.service.jwks import describe, jwt_module, parse_jwks
from engine.interfaces.service.keys import SCOPES, KeyStore
from engine.interfaces.service.problems import RefusalError
from engine.interfaces.service.watched import Watched

CHALLENGE = {"WWW-Authenticate": 'Bearer realm="safeguard"'}


@dataclass(frozen=True)
class Identity:
    """The caller, as the audit log names it: a key's name or a token's client id."""

    name: str
    scopes: frozenset[str]
    subject: str = ""  # whom the rate limit counts, when not the name: a token's subject

    @property
    def counted(self) -> str:
        return self.subject or self.name

    def may(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


@dataclass(frozen=True)
class JwtSettings:
    """An identity provider's tokens: who issues them, for whom, signed with which keys."""

    issuer: str
    audience: str
    jwks: Path


class JwtVerifier:
    """RS256 tokens checked for signature, issuer, audience and expiry (PyJWT).

    Scopes come from the `scp` claim (delegated, space-separated) and the `roles` claim
    (application roles), as Microsoft Entra ID issues them; only the names in SCOPES count.
    """

    def __init__(self, settings: JwtSettings):
        self._jwt = jwt_module()
        self.settings = settings
        self._file: Watched[dict[str, Any]] = Watched(settings.jwks, "JWKS", parse_jwks, {},
                                                      describe)
        self._file.load()

    def verify(self, token: str) -> Identity | None:
        jwt = self._jwt
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            key = self._file.current().get(kid) if isinstance(kid, str) else None
            if key is None:
                return None
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=["RS256"], audience=self.settings.audience,
                issuer=self.settings.issuer, options={"require": ["exp", "iss", "aud"]})
        except jwt.PyJWTError:
            return None
        return _identity(claims)


def _identity(claims: dict[str, Any]) -> Identity:
    """Scopes from `scp` (split on ASCII spaces only, as RFC 6749 writes them: a scope
    joined to another by any other space grants neither) and `roles`."""
    granted = set(str(claims.get("scp", "")).split(" "))
    roles = claims.get("roles")
    if isinstance(roles, list):
        granted.update(str(r) for r in roles)
    client = claims.get("azp") or claims.get("appid") or claims.get("sub") or "unknown"
    subject = claims.get("sub")
    return Identity(f"jwt:{client}", frozenset(granted & set(SCOPES)),
                    f"jwt-sub:{subject}" if isinstance(subject, str) and subject else "")


class Authenticator:
    """Turns an Authorization header into an Identity, or refuses with 401."""

    def __init__(self, keys: KeyStore | None, tokens: JwtVerifier | None = None,
                 insecure_local: bool = False):
        self.keys = keys
        self.tokens = tokens
        self.insecure_local = insecure_local

    def identify(self, authorization: str | None) -> Identity:
        if self.insecure_local:
            return Identity("local", frozenset(SCOPES))
        scheme, _, credential = (authorization or "").partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            raise RefusalError(401, "credentials are needed: send 'Authorization: Bearer <key>'",
                               CHALLENGE)
        if credential.startswith("sg_") and self.keys is not None:
            entry = self.keys.find(credential)
            if entry is not None:
                return Identity(entry.name, frozenset(entry.scopes))
        elif self.tokens is not None:
            identity = self.tokens.verify(credential)
            if identity is not None:
                return identity
        raise RefusalError(401, "the credentials were not accepted", CHALLENGE)

    def require(self, identity: Identity, scope: str) -> None:
        if not identity.may(scope):
            raise RefusalError(403, f"'{identity.name}' lacks the '{scope}' scope this needs")
