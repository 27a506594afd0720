"""Every check `safeguard serve` makes before it says it is serving, each failure one sentence.

The order is cheapest first: the options (`check_options`), the files (`check_files`: the
credential files, the TLS files, the audit log), then the listening socket (`listen_socket`,
bound here so a port in use is a message too, and handed to uvicorn). Any failure is a
`ServeRefusedError` saying what to change; warnings are returned for the CLI to show.
"""
from __future__ import annotations

import ipaddress
import os
import socket
import ssl
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from engine.core.errors import SafeguardError
from engine.interfaces.service.auth import JwtVerifier
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.jwks import jwt_module
from engine.interfaces.service.keys import KeyStore

T = TypeVar("T")


class ServeRefusedError(SafeguardError):
    """The service would be unsafe, or could not run, as configured; the message says why."""


@dataclass(frozen=True)
class Listen:
    """Where and how to listen."""

    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1                      # server processes
    certfile: str | None = None
    keyfile: str | None = None
    behind_proxy: bool = False
    forwarded_allow_ips: str = "127.0.0.1"
    backlog: int = 2048
    max_connections: int = 1000
    keep_alive_seconds: float = 5.0

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def check_options(listen: Listen, config: ServiceConfig) -> list[str]:
    """Refuse a plain-HTTP public address, and a service that would answer anyone; the
    warnings to show."""
    if not listen.loopback and listen.certfile is None and not listen.behind_proxy:
        raise ServeRefusedError(f"{listen.host} is not a loopback address: give --certfile "
                                "and --keyfile for TLS, or --behind-proxy if a reverse proxy "
                                "terminates TLS in front of this service")
    if config.insecure_local and not listen.loopback:
        raise ServeRefusedError("--insecure-local is only allowed on a loopback address")
    return check_proxy(listen.behind_proxy, listen.forwarded_allow_ips, config.insecure_local)


def check_files(listen: Listen, config: ServiceConfig) -> None:
    """Every file the service reads or writes: credentials, TLS, the audit log."""
    check_credentials(config)
    check_tls(listen.certfile, listen.keyfile)
    check_audit_log(config.audit_log)


def check_proxy(behind_proxy: bool, forwarded_allow_ips: str, insecure_local: bool) -> list[str]:
    """Refuse a proxy in front of a service without credentials; warnings to show."""
    trusts_anyone = "*" in (ip.strip() for ip in forwarded_allow_ips.split(","))
    if insecure_local and behind_proxy:
        raise ServeRefusedError("--insecure-local cannot be combined with --behind-proxy: the "
                           "proxy would pass remote clients to a service without credentials")
    if insecure_local and trusts_anyone:
        raise ServeRefusedError("--forwarded-allow-ips '*' cannot be combined with "
                           "--insecure-local")
    if trusts_anyone and behind_proxy:
        return ["--forwarded-allow-ips '*' trusts X-Forwarded-For from any client, so anyone "
                "who can reach the port chooses the address the audit log shows: name the "
                "proxy's addresses instead"]
    return []


def check_credentials(config: ServiceConfig) -> None:
    """The key file and the JWKS can be trusted, and between them vouch for someone."""
    if config.insecure_local:
        return
    store = config.keys
    keys = _trusted(lambda: len(KeyStore(Path(store))), store) if store else 0
    if config.jwt is not None:
        settings = config.jwt
        try:
            jwt_module()
        except ValueError as exc:
            raise ServeRefusedError(str(exc)) from None
        _trusted(lambda: JwtVerifier(settings), str(settings.jwks))
    elif not keys:
        held = (f"the key file {store} does not exist" if store and not Path(store).exists()
                else f"the key file {store} holds no key" if store else "no key file is given")
        raise ServeRefusedError(f"no credentials are configured ({held}): add a key with "
                                "'safeguard keys add NAME --scope evaluate' (and pass --keys "
                                "FILE), or configure JWT (--jwt-issuer, --jwt-audience, "
                                "--jwt-jwks); --insecure-local serves loopback without "
                                "credentials")


def _trusted(load: Callable[[], T], where: str) -> T:
    try:
        return load()
    except (OSError, ValueError) as exc:
        raise ServeRefusedError(str(exc), where) from None


def check_tls(certfile: str | None, keyfile: str | None) -> None:
    """Both files given, a PEM certificate, an unencrypted PEM key, and the pair matching."""
    if certfile is None and keyfile is None:
        return
    if certfile is None or keyfile is None:
        raise ServeRefusedError("give both --certfile and --keyfile for TLS")
    for path in (certfile, keyfile):
        _regular(path)
    try:
        ssl.create_default_context().load_verify_locations(cafile=certfile)
    except ssl.SSLError:
        raise ServeRefusedError("not a PEM certificate", certfile) from None
    try:
        ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER).load_cert_chain(certfile, keyfile,
                                                                 password=_encrypted)
    except _EncryptedKeyError:
        raise ServeRefusedError("the private key is encrypted; give the service an "
                                "unencrypted key readable only by its user", keyfile) from None
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise ServeRefusedError(f"the key does not match the certificate {certfile}",
                                    keyfile) from None
        raise ServeRefusedError("not a PEM private key", keyfile) from None


class _EncryptedKeyError(Exception):
    pass


def _encrypted() -> str:
    """OpenSSL asks for a password only for an encrypted key: refuse rather than prompt."""
    raise _EncryptedKeyError


def _regular(path: str) -> None:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise ServeRefusedError(exc.strerror or str(exc), path) from None
    if not stat.S_ISREG(info.st_mode):
        raise ServeRefusedError("not a regular file", path)


def check_audit_log(path: str | None) -> None:
    """The audit log can be appended to (it is created owner-only when new)."""
    if path is None:
        return
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        raise ServeRefusedError(f"the audit log cannot be appended to ({exc.strerror})",
                                path) from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ServeRefusedError("the audit log is not a regular file", path)
    finally:
        os.close(fd)


def listen_socket(host: str, port: int, backlog: int) -> socket.socket:
    """The bound, listening socket uvicorn will serve on (inherited by its workers).

    The protocol is named (IPPROTO_TCP, not 0) because asyncio turns Nagle's algorithm off only
    on sockets that say they are TCP; with it on, h11's separate writes of the head and the body
    waited for the client's delayed acknowledgement, 40 ms on every keep-alive request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(backlog)
    except OSError as exc:
        sock.close()
        reason = exc.strerror or str(exc)
        raise ServeRefusedError(f"cannot listen on {host}:{port}: {reason}") from None
    sock.set_inheritable(True)
    return sock
