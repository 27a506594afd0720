"""Everything a server process needs to build the service, as one record that survives the
trip to a worker process (`--workers`) as JSON in an environment variable."""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from engine.interfaces.service.auth import JwtSettings
from engine.interfaces.service.limits import Limits

ENVIRONMENT = "SAFEGUARD_SERVICE_CONFIG"


@dataclass(frozen=True)
class ServiceConfig:
    definitions: tuple[str, ...] = ()
    procedure: str | None = None
    keys: str | None = None                  # the key file
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_jwks: str | None = None
    insecure_local: bool = False             # no credentials at all (loopback only)
    evaluators: int = 1                      # worker processes evaluating, per server process
    audit_log: str | None = None             # None: standard error
    limits: Limits = field(default_factory=Limits)

    @property
    def jwt(self) -> JwtSettings | None:
        if self.jwt_issuer and self.jwt_audience and self.jwt_jwks:
            return JwtSettings(self.jwt_issuer, self.jwt_audience, Path(self.jwt_jwks))
        return None

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @staticmethod
    def from_json(text: str) -> ServiceConfig:
        data = json.loads(text)
        data["definitions"] = tuple(data["definitions"])
        data["limits"] = Limits(**data["limits"])
        return ServiceConfig(**data)

    @staticmethod
    def from_environment() -> ServiceConfig:
        return ServiceConfig.from_json(os.environ[ENVIRONMENT])
