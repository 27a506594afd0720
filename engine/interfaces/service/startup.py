"""Every check `safeguard serve` makes before it says it is serving, each failure one sentence.

The order is cheapest first: the options, the credential files, the TLS files and the audit
log, then the listening socket (bound here, so a port in use is a message too, and handed to
uvicorn). Any failure is a `ServeRefused` with what to change; warnings are returned.
"""
from __future__ import annotations

import os
import socket
import ssl
import stat
from pathlib import Path

from engine.errors import SafeguardError
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.jwks import describe, parse_jwks
from engine.interfaces.service.keys import KeyStore
from engine.interfaces.service.watched import Watched


class ServeRefused(SafeguardError):
    """The service would be unsafe, or could not run, as configured; the message says why."""


def check_proxy(behind_proxy: bool, forwarded_allow_ips: str, insecure_local: bool) -> list[str]:
    """Refuse a proxy in front of a service without credentials; warnings to show."""
    trusts_anyone = "*" in (ip.strip() for ip in forwarded_allow_ips.split(","))
    if insecure_local and behind_proxy:
        raise ServeRefused("--insecure-local cannot be combined with --behind-proxy: the "
                           "proxy would pass remote clients to a service without credentials")
    if insecure_local and trusts_anyone:
        raise ServeRefused("--forwarded-allow-ips '*' cannot be combined with "
                           "--insecure-local")
    if trusts_anyone and behind_proxy:
        return ["--forwarded-allow-ips '*' trusts X-Forwarded-For from any client, so anyone "
                "who can reach the port chooses the address the audit log shows: name the "
                "proxy's addresses instead"]
    return []


def check_credentials(config: ServiceConfig) -> None:
    """The key file and the JWKS can be trusted and vouch for someone."""
    if config.insecure_local:
        return
    keys = _keys(config)
    if config.jwt is not None:
        path = config.jwt.jwks
        try:
            Watched(path, "JWKS", parse_jwks, {}, describe).load()
        except (OSError, ValueError) as exc:
            raise ServeRefused(f"{path}: {exc}") from None
    elif not keys:
        raise ServeRefused("no credentials are configured: add a key with 'safeguard keys add "
                           "NAME --scope evaluate' (and pass --keys FILE), or configure JWT "
                           "(--jwt-issuer, --jwt-audience, --jwt-jwks); --insecure-local "
                           "serves loopback without credentials")


def _keys(config: ServiceConfig) -> int:
    if config.keys is None:
        return 0
    try:
        return len(KeyStore(Path(config.keys)))
    except (OSError, ValueError) as exc:
        raise ServeRefused(f"{config.keys}: {exc}") from None


def check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Both files given, a PEM certificate, an unencrypted PEM key, and the pair matching."""
    if certfile is None and keyfile is None:
        return
    if certfile is None or keyfile is None:
        raise ServeRefused("give both --certfile and --keyfile for TLS")
    for path in (certfile, keyfile):
        _regular(path)
    try:
        ssl.create_default_context().load_verify_locations(cafile=certfile)
    except ssl.SSLError:
        raise ServeRefused(f"{certfile}: not a PEM certificate") from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile,
                                                                 password=_encrypted)
    except _Encrypted:
        raise ServeRefused(f"{keyfile}: the private key is encrypted; give the service an "
                           "unencrypted key readable only by its user") from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise ServeRefused(f"{keyfile}: the key does not match the certificate "
                               f"{certfile}") from None
        raise ServeRefused(f"{keyfile}: not a PEM private key") from None


class _Encrypted(Exception):
    pass


def _encrypted() -> str:
    """OpenSSL asks for a password only for an encrypted key: refuse rather than prompt."""
    raise _Encrypted


def _regular(path: str) -> None:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ServeRefused(f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise ServeRefused(f"{path}: not a regular file")


def check_audit_log(path: str | None) -> None:
    """The audit log can be appended to (it is created owner-only when new)."""
    if path is None:
        return
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise ServeRefused(f"cannot append to the audit log {path}: {exc.strerror}") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ServeRefused(f"the audit log {path} is not a regular file")
    finally:
        os.close(fd)


def listen_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The bound, listening socket uvicorn will serve on (inherited by its workers)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise ServeRefused(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock
