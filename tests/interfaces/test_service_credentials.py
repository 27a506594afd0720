"""Credentials follow their files on a live service (issue 21, points 1, 2 and 6): a key or JWT
signing key removed from its file is refused from the next request, a file that is damaged,
unsafe or gone vouches for nothing and says so in the log, and `safeguard keys` writes the key
file so that nothing planted beside it can redirect or loosen it."""
from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from engine.interfaces.service.app import build
from engine.interfaces.service.config import ServiceConfig
from engine.interfaces.service.keys import add_key, read_keys
from engine.interfaces.service.server import serving_in_thread

ISSUER = "https://login.example.test/tenant/v2.0"
AUDIENCE = "api://safeguard"


@dataclass
class Signer:
    kid: str
    key: rsa.RSAPrivateKey

    def public(self) -> dict:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.key.public_key()))
        jwk.update(kid=self.kid, use="sig", alg="RS256")
        return jwk

    def token(self, scp: str = "procedure:read", **claims: object) -> str:
        now = int(time.time())
        body = {"iss": ISSUER, "aud": AUDIENCE, "exp": now + 600, "azp": "case-system",
                "sub": "svc-1", "scp": scp, **claims}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": self.kid})


def _signer(kid: str) -> Signer:
    return Signer(kid, rsa.generate_private_key(public_exponent=65537, key_size=2048))


def publish(path: Path, *signers: Signer) -> None:
    """Replace the JWKS as an operator would: a new file renamed over the old one."""
    fresh = path.with_name("jwks.new")
    fresh.write_text(json.dumps({"keys": [s.public() for s in signers]}))
    fresh.chmod(0o644)
    os.replace(fresh, path)


class Live:
    def __init__(self, url: str, folder: Path):
        self.http = httpx.Client(base_url=url, timeout=10)
        self.folder = folder

    def code(self, credential: str, path: str = "/procedure") -> int:
        return self.http.get(path, headers={"Authorization": f"Bearer {credential}"}).status_code


@pytest.fixture(scope="module")
def signers() -> tuple[Signer, Signer]:
    return _signer("old"), _signer("new")


@pytest.fixture
def live(tmp_path: Path, signers: tuple[Signer, Signer]) -> Iterator[Live]:
    tmp_path.chmod(0o700)
    publish(tmp_path / "jwks.json", signers[0])
    add_key(tmp_path / "keys.json", "admin-client", ("admin",))
    config = ServiceConfig(keys=str(tmp_path / "keys.json"), jwt_issuer=ISSUER,
                           jwt_audience=AUDIENCE, jwt_jwks=str(tmp_path / "jwks.json"),
                           evaluators=1, audit_log=str(tmp_path / "audit.log"))
    app = build(config, today=lambda: date(2017, 12, 28))
    with serving_in_thread(config, app) as url:
        yield Live(url, tmp_path)


def test_a_jwks_rolled_without_restart_refuses_the_removed_key_and_takes_the_new(
        live: Live, signers: tuple[Signer, Signer], caplog: pytest.LogCaptureFixture) -> None:
    old, new = signers
    assert (live.code(old.token()), live.code(new.token())) == (200, 401)
    publish(live.folder / "jwks.json", new)
    with caplog.at_level(logging.INFO, "safeguard.service"):
        assert (live.code(old.token()), live.code(new.token())) == (401, 200)
    assert [r.getMessage().split(": ", 1)[1] for r in caplog.records
            if r.name == "safeguard.service"] == ["1 signing key(s): 'new'"]


def test_a_damaged_key_file_refuses_every_key_it_held_and_says_so(
        live: Live, caplog: pytest.LogCaptureFixture) -> None:
    store = live.folder / "keys.json"
    kept = add_key(store, "kept", ("procedure:read",))
    removed = add_key(store, "removed", ("procedure:read",))
    assert (live.code(kept), live.code(removed)) == (200, 200)
    document = json.loads(store.read_text())
    document["keys"] = [e for e in document["keys"] if e["name"] != "removed"]
    store.write_text(json.dumps(document)[:-1] + ",,}")  # a hand edit with a syntax error
    with caplog.at_level(logging.ERROR, "safeguard.service"):
        assert (live.code(kept), live.code(removed)) == (401, 401)
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and str(store) in errors[0] and "refusing" in errors[0]
    assert kept not in errors[0] and kept.split("_")[1] not in errors[0]
    store.write_text(json.dumps(document))
    assert (live.code(kept), live.code(removed)) == (200, 401)


def test_a_damaged_jwks_refuses_every_token_but_not_the_keys(
        live: Live, signers: tuple[Signer, Signer], caplog: pytest.LogCaptureFixture) -> None:
    admin = add_key(live.folder / "keys.json", "still-works", ("procedure:read",))
    (live.folder / "jwks.json").write_text('{"keys": [')
    with caplog.at_level(logging.ERROR, "safeguard.service"):
        assert live.code(signers[0].token()) == 401
    assert "not JSON" in caplog.text and "jwks.json" in caplog.text
    assert live.code(admin) == 200


@pytest.mark.parametrize("change", ["world-writable", "group-writable", "folder-writable",
                                    "gone"])
def test_a_key_file_made_unsafe_or_removed_while_serving_refuses_its_keys(
        live: Live, change: str, caplog: pytest.LogCaptureFixture) -> None:
    store = live.folder / "keys.json"
    key = add_key(store, "cs", ("procedure:read",))
    assert live.code(key) == 200
    if change == "gone":
        store.unlink()
    elif change == "folder-writable":
        live.folder.chmod(0o777)            # the file is untouched: others could replace it
    else:
        store.chmod(0o666 if change == "world-writable" else 0o620)
    with caplog.at_level(logging.ERROR, "safeguard.service"):
        assert live.code(key) == 401
    assert ("gone" if change == "gone" else "chmod go-w") in caplog.text
    if change == "folder-writable":
        live.folder.chmod(0o700)
        assert live.code(key) == 200


def test_scopes_are_split_on_ascii_spaces_only(live: Live,
                                               signers: tuple[Signer, Signer]) -> None:
    old = signers[0]
    assert live.code(old.token(scp="procedure:read admin"), "/metrics") == 200
    assert live.code(old.token(scp="evaluate\u3000admin"), "/metrics") == 403
    assert live.code(old.token(scp="procedure:read\u3000admin")) == 403


# ---- safeguard keys writes the key file safely ----------------------------------------------

def test_a_planted_temporary_symlink_is_neither_followed_nor_kept(tmp_path: Path) -> None:
    store = tmp_path / "keys.json"
    add_key(store, "first", ("evaluate",))
    precious = tmp_path / "precious.txt"
    precious.write_text("not yours")
    (tmp_path / "keys.json.tmp").symlink_to(precious)
    add_key(store, "second", ("admin",))
    assert precious.read_text() == "not yours"
    assert not store.is_symlink() and oct(store.stat().st_mode)[-3:] == "600"
    assert [e.name for e in read_keys(store)] == ["first", "second"]


def test_a_planted_world_writable_temporary_file_does_not_loosen_the_key_file(
        tmp_path: Path) -> None:
    store = tmp_path / "keys.json"
    add_key(store, "first", ("evaluate",))
    planted = tmp_path / "keys.json.tmp"
    planted.write_text("")
    planted.chmod(0o666)
    add_key(store, "second", ("admin",))
    assert oct(store.stat().st_mode)[-3:] == "600"
    assert planted.read_text() == ""  # left alone, and no temporary file left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keys.json", "keys.json.tmp"]


def test_the_folder_of_a_link_is_watched_as_the_targets_is(tmp_path: Path) -> None:
    from engine.core.files import FileRefusedError
    from engine.interfaces.service.watched import read_trusted, stamp

    tmp_path.chmod(0o700)
    (tmp_path / "real").mkdir(mode=0o700)
    (tmp_path / "links").mkdir(mode=0o700)
    target = tmp_path / "real" / "keys.json"
    add_key(target, "cs", ("evaluate",))
    link = tmp_path / "links" / "keys.json"
    link.symlink_to(target)
    before = stamp(link)
    assert read_trusted(link) == target.read_bytes()
    (tmp_path / "links").chmod(0o777)        # anyone could now swap the link for their own
    assert stamp(link) != before
    with pytest.raises(FileRefusedError, match="its folder"):
        read_trusted(link)
