"""Reading an identity provider's JWKS file into the RS256 public keys tokens may be signed with.

Only keys a token can name and the service will check are kept: RSA, with a `kid`, for signing,
for RS256. A file with none of them, or holding a private key, is refused: the first would
refuse every token, the second means the wrong file was downloaded. Messages never repeat the
file's content (a mistaken file might hold a secret).
"""
from __future__ import annotations

import json
from typing import Any

from engine.core.text import quoted

JWT_EXTRA = ("the --jwt-* options need PyJWT with cryptography: "
             "pip install 'safeguarding-engine[jwt]'")
PRIVATE = ("d", "p", "q", "dp", "dq", "qi", "k")  # RFC 7518 private and symmetric members


def jwt_module() -> Any:
    """PyJWT, or ValueError saying how to install it."""
    try:
        import jwt
        from jwt.algorithms import has_crypto
    except ImportError:
        raise ValueError(JWT_EXTRA) from None
    if not has_crypto:
        raise ValueError(JWT_EXTRA)
    return jwt


def parse_jwks(data: bytes) -> dict[str, Any]:
    """{kid: PyJWK} of the usable RS256 signing keys, or ValueError saying what is wrong."""
    jwt = jwt_module()
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ValueError("the JWKS is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"the JWKS is not JSON ({exc.msg} at line {exc.lineno} column "
                         f"{exc.colno})") from None
    members = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(members, list):
        raise ValueError("the JWKS has no \"keys\" list")
    keys: dict[str, Any] = {}
    for member in members:
        kid = _usable_kid(member)
        if kid is not None and kid not in keys:
            try:
                keys[kid] = jwt.PyJWK(member, "RS256")
            except jwt.PyJWTError:
                continue
    if not keys:
        raise ValueError(f"the JWKS has no usable key: none of its {len(members)} key(s) is "
                         "an RSA signing key for RS256 with a \"kid\"")
    return keys


def _usable_kid(member: object) -> str | None:
    """The key's kid if it is a public RSA key for RS256 signatures, else None."""
    if not isinstance(member, dict):
        return None
    if any(name in member for name in PRIVATE):
        raise ValueError("the JWKS holds a private or secret key: give the identity "
                         "provider's public JWKS (its jwks_uri)")
    kid = member.get("kid")
    if member.get("kty") != "RSA" or not isinstance(kid, str) or not kid:
        return None
    if member.get("alg", "RS256") != "RS256" or member.get("use", "sig") != "sig":
        return None
    return kid


def describe(keys: dict[str, Any]) -> str:
    """What a log line says about the keys: how many and their kids (public names)."""
    shown = ", ".join(quoted(kid) for kid in sorted(keys)[:10])
    return f"{len(keys)} signing key(s): {shown}{', ...' if len(keys) > 10 else ''}"
