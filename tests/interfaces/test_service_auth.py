"""Credentials for the service: `safeguard keys`, OAuth2 JWT bearer tokens (RS256 against a
JWKS file, as Microsoft Entra ID issues them), and `safeguard serve` refusing unsafe settings."""
from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path

import httpx
import jwt
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from engine.interfaces.cli.app import main_group
from engine.interfaces.service.app import build
from engine.interfaces.service.auth import JwtSettings, JwtVerifier
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.keys import KeyStore, read_keys
from engine.interfaces.service.server import serving_in_thread

ISSUER = "https://login.microsoftonline.com/00000000-0000-0000-0000-000000000000/v2.0"
AUDIENCE = "api://safeguard"
CASE = {"case": "J1", "facts": [{"type": "referral", "date": "2017-12-22", "source": "gp"}]}


@pytest.fixture(scope="module")
def signer(tmp_path_factory: pytest.TempPathFactory) -> tuple[rsa.RSAPrivateKey, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update(kid="k1", use="sig", alg="RS256")
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [public]}))
    return key, path


def token(key: rsa.RSAPrivateKey, **claims: object) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 300, "azp": "case-system",
            "scp": "evaluate"}
    body.update(claims)
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": "k1"})


def test_a_good_token_gives_its_client_and_scopes(signer) -> None:
    key, jwks = signer
    verifier = JwtVerifier(JwtSettings(ISSUER, AUDIENCE, jwks))
    identity = verifier.verify(token(key, roles=["procedure:read", "unrelated"]))
    assert identity is not None and identity.name == "jwt:case-system"
    assert identity.scopes == {"evaluate", "procedure:read"}


def test_tokens_that_must_be_refused(signer) -> None:
    key, jwks = signer
    verifier = JwtVerifier(JwtSettings(ISSUER, AUDIENCE, jwks))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    bad = [token(key, aud="api://someone-else"), token(key, iss="https://evil.example"),
           token(key, exp=int(time.time()) - 60), token(other),
           jwt.encode({"iss": ISSUER, "aud": AUDIENCE, "exp": int(time.time()) + 60},
                      "secret" * 8, algorithm="HS256", headers={"kid": "k1"}),
           "not.a.token", ""]
    assert [verifier.verify(t) for t in bad] == [None] * len(bad)


def test_the_service_takes_tokens_and_checks_their_scopes(signer, tmp_path: Path) -> None:
    key, jwks = signer
    config = ServiceConfig(jwt_issuer=ISSUER, jwt_audience=AUDIENCE, jwt_jwks=str(jwks),
                           evaluators=1, audit_log=str(tmp_path / "audit.log"))
    app = build(config, today=lambda: date(2017, 12, 28))
    with serving_in_thread(config, app) as url, httpx.Client(base_url=url, timeout=10) as http:
        def post(credential: str) -> int:
            return http.post("/status", content=json.dumps(CASE), headers={
                "Authorization": f"Bearer {credential}",
                "Content-Type": "application/json"}).status_code

        assert post(token(key)) == 200
        assert post(token(key, scp="procedure:read")) == 403
        assert post(token(key, aud="api://other")) == 401
    assert '"client": "jwt:case-system"' in (tmp_path / "audit.log").read_text()


# ---- safeguard keys -------------------------------------------------------------------------

def test_keys_add_prints_the_key_once_and_list_and_revoke(tmp_path: Path) -> None:
    store = tmp_path / "keys.json"
    runner = CliRunner()
    added = runner.invoke(main_group, ["keys", "add", "cs-east", "--scope", "evaluate",
                                       "--scope", "procedure:read", "--keys", str(store)])
    assert added.exit_code == 0, added.output
    key = added.stdout.strip()
    assert KeyStore(store).find(key) is not None
    assert key not in store.read_text() and oct(store.stat().st_mode)[-3:] == "600"
    listed = runner.invoke(main_group, ["keys", "list", "--keys", str(store)])
    assert "cs-east" in listed.stdout and "evaluate,procedure:read" in listed.stdout
    assert key not in listed.stdout
    again = runner.invoke(main_group, ["keys", "add", "cs-east", "--scope", "evaluate",
                                       "--keys", str(store)])
    assert again.exit_code == 2 and "exists" in again.output
    revoked = runner.invoke(main_group, ["keys", "revoke", "cs-east", "--keys", str(store)])
    assert revoked.exit_code == 0 and read_keys(store) == []
    assert KeyStore(store).find(key) is None
    missing = runner.invoke(main_group, ["keys", "revoke", "cs-east", "--keys", str(store)])
    assert missing.exit_code == 2


def test_the_service_serves_https_with_a_certificate(tmp_path: Path) -> None:
    import datetime as dt
    import ipaddress
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    config = ServiceConfig(insecure_local=True, evaluators=1,
                           audit_log=str(tmp_path / "audit.log"))
    with serving_in_thread(config, certfile=str(tmp_path / "cert.pem"),
                           keyfile=str(tmp_path / "key.pem")) as url:
        assert url.startswith("https://")
        trust = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
        with httpx.Client(base_url=url, verify=trust, timeout=10) as http:
            assert http.get("/health").status_code == 200
        with pytest.raises(httpx.HTTPError), httpx.Client(base_url=url.replace(
                "https", "http"), timeout=5) as plain:
            plain.get("/health")


# ---- safeguard serve refuses unsafe settings before binding ---------------------------------

@pytest.mark.parametrize(("arguments", "message"), [
    (["--host", "0.0.0.0"], "not a loopback address"),
    (["--host", "0.0.0.0", "--insecure-local"], "not a loopback address"),
    (["--host", "0.0.0.0", "--behind-proxy", "--insecure-local"], "only allowed on a loopback"),
    ([], "no credentials are configured"),
])
def test_serve_refuses_unsafe_settings(tmp_path: Path, arguments: list[str],
                                       message: str) -> None:
    result = CliRunner().invoke(main_group, ["serve", "--keys", str(tmp_path / "none.json"),
                                             "--port", "1", *arguments])
    assert result.exit_code == 2 and message in result.output
