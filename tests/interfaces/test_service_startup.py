"""`safeguard serve` refuses every misconfiguration before it serves (issue 21, points 2, 3 and
5): one `error:` line and exit 2, never a traceback, and no "serving" line unless every check
passed. Each case below was a traceback, a silent start or a late refusal before."""
from __future__ import annotations

import datetime as dt
import json
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from engine.interfaces.cli.app import main_group
from engine.interfaces.service.keys import add_key

JWT = ["--jwt-issuer", "https://idp.example.test", "--jwt-audience", "api://safeguard"]


def _pem(key: rsa.RSAPrivateKey, password: bytes | None = None) -> bytes:
    encryption = (serialization.BestAvailableEncryption(password) if password
                  else serialization.NoEncryption())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             encryption)


def _certificate(key: rsa.RSAPrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1))
            .not_valid_after(now + dt.timedelta(hours=1)).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM)


def _jwk(**changes: object) -> dict:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    jwk.update(kid="k1", use="sig", alg="RS256")
    jwk.update(changes)
    return {k: v for k, v in jwk.items() if v is not None}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Good and bad files for every case; the folder and the good files are owner-only."""
    here = tmp_path_factory.mktemp("startup")
    here.chmod(0o700)
    add_key(here / "keys.json", "cs", ("evaluate",))
    key, other = (rsa.generate_private_key(public_exponent=65537, key_size=2048)
                  for _ in range(2))
    files = {"cert.pem": _certificate(key), "key.pem": _pem(key), "other.pem": _pem(other),
             "encrypted.pem": _pem(key, b"secret"), "garbage.pem": b"not a PEM file\n",
             "not-json.jwks": b"{not json", "empty.jwks": b'{"keys": []}',
             "no-kid.jwks": json.dumps({"keys": [_jwk(kid=None)]}).encode(),
             "rs512.jwks": json.dumps({"keys": [_jwk(alg="RS512")]}).encode(),
             "private.jwks": json.dumps({"keys": [_jwk(d="secret-part")]}).encode(),
             "good.jwks": json.dumps({"keys": [_jwk()]}).encode()}
    ec_key = json.loads(ECAlgorithm.to_jwk(ec.generate_private_key(ec.SECP256R1())
                                           .public_key()))
    files["ec.jwks"] = json.dumps({"keys": [dict(ec_key, kid="e1")]}).encode()
    for name, data in files.items():
        (here / name).write_bytes(data)
        (here / name).chmod(0o600)
    (here / "open.jwks").write_bytes(files["good.jwks"])
    (here / "open.jwks").chmod(0o666)
    (here / "open-keys.json").write_bytes((here / "keys.json").read_bytes())
    (here / "open-keys.json").chmod(0o666)
    shared = here / "shared"                  # a folder anyone may write: the link could be
    shared.mkdir()                            # swapped for one to a key file of their own
    shared.chmod(0o777)
    (shared / "keys.json").symlink_to(here / "keys.json")
    yield here


@pytest.fixture(scope="module")
def taken() -> Iterator[str]:
    """A port already in use: a case whose checks all passed fails to bind, never serves."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield str(sock.getsockname()[1])


@pytest.fixture
def serve(folder: Path, taken: str) -> Callable[..., Result]:
    def run(*arguments: str, keys: str = "keys.json") -> Result:
        return CliRunner().invoke(main_group, ["serve", "--keys", str(folder / keys),
                                               "--port", taken, *arguments])
    return run


ERROR = re.compile(r"^(\S+: )?error: \S")  # `error: ...`, or `FILE: error: ...` about a file


def one_error(result: Result) -> str:
    """The single error line; fails on a traceback, a second line, or a "serving" line."""
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and ERROR.match(lines[0]), result.output
    assert "serving" not in result.output and "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize(("jwks", "message"), [
    ("not-json.jwks", "not JSON"),
    ("empty.jwks", "no usable key"),
    ("ec.jwks", "no usable key"),
    ("no-kid.jwks", "no usable key"),
    ("rs512.jwks", "no usable key"),
    ("private.jwks", "private"),
    ("open.jwks", "chmod go-w"),
])
def test_a_jwks_the_service_cannot_use_is_refused(serve: Callable[..., Result], folder: Path,
                                                  jwks: str, message: str) -> None:
    line = one_error(serve(*JWT, "--jwt-jwks", str(folder / jwks)))
    assert message in line and jwks in line
    assert "secret-part" not in line


@pytest.mark.parametrize(("certfile", "keyfile", "message"), [
    ("cert.pem", "other.pem", "does not match"),
    ("garbage.pem", "key.pem", "not a PEM certificate"),
    ("cert.pem", "garbage.pem", "not a PEM private key"),
    ("cert.pem", "encrypted.pem", "encrypted"),
])
def test_tls_files_the_service_cannot_use_are_refused(serve: Callable[..., Result], folder: Path,
                                                      certfile: str, keyfile: str,
                                                      message: str) -> None:
    line = one_error(serve("--certfile", str(folder / certfile),
                           "--keyfile", str(folder / keyfile)))
    assert message in line


@pytest.mark.parametrize(("arguments", "message"), [
    (["--port", "70000"], "--port"),
    (["--port", "http"], "--port"),
    (["--workers", "0"], "--workers"),
    (["--audit-log", "/nonexistent-folder/audit.log"], "audit log"),
    (["--host", "0.0.0.0"], "not a loopback address"),
    (["--host", "0.0.0.0", "--insecure-local"], "not a loopback address"),
    (["--insecure-local", "--behind-proxy"], "--insecure-local cannot be combined with "
                                             "--behind-proxy"),
    (["--host", "0.0.0.0", "--behind-proxy", "--insecure-local"], "--insecure-local"),
    (["--insecure-local", "--forwarded-allow-ips", "*"], "--forwarded-allow-ips"),
    (["--jwt-issuer", "x"], "JWT needs all of"),
])
def test_options_that_would_serve_unsafely_or_not_at_all_are_refused(
        serve: Callable[..., Result], arguments: list[str], message: str) -> None:
    assert message in one_error(serve(*arguments))


@pytest.mark.parametrize(("keys", "message"), [
    ("none.json", "none.json does not exist): add a key"),
    ("open-keys.json", "chmod go-w"),
    ("/proc/self/status", "not a safeguard key file"),
    ("/proc", "folder"),
    ("shared/keys.json", "its folder"),
])
def test_a_key_file_the_service_cannot_trust_is_refused(serve: Callable[..., Result], keys: str,
                                                        message: str) -> None:
    assert message in one_error(serve(keys=keys))


def test_the_jwt_options_without_the_jwt_extra_say_how_to_install_it(
        serve: Callable[..., Result], folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "jwt", None)  # as if PyJWT were not installed
    line = one_error(serve(*JWT, "--jwt-jwks", str(folder / "good.jwks")))
    assert "pip install 'safeguarding-engine[jwt]'" in line


def test_a_port_in_use_is_one_error_line(serve: Callable[..., Result], taken: str) -> None:
    assert f"cannot listen on 127.0.0.1:{taken}" in one_error(serve())


def test_forwarded_ips_star_behind_a_proxy_is_a_warning(serve: Callable[..., Result]) -> None:
    result = serve("--behind-proxy", "--forwarded-allow-ips", "*",
                   "--audit-log", "/nonexistent-folder/audit.log")
    warning, error = (line for line in result.output.splitlines() if line.strip())
    assert warning.startswith("warning: --forwarded-allow-ips '*'")
    assert ERROR.match(error) and result.exit_code == 2


def test_keys_add_where_the_key_file_cannot_be_written_is_one_error_line(tmp_path: Path
                                                                         ) -> None:
    for place in ("/proc/keys.json", str(tmp_path / "missing" / "deeper" / "keys.json")):
        result = CliRunner().invoke(main_group, ["keys", "add", "cs", "--scope", "evaluate",
                                                 "--keys", place])
        if place.startswith("/proc"):
            assert one_error(result).startswith(f"{place}: error: the key file cannot be written")
        else:
            assert result.exit_code == 0, result.output
