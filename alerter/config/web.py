"""The ``web:`` section of ``alerter.yaml``: who may use the web UI and API, and how.

Place in the flow: config (this module: what the section says, password hashing) ->
:mod:`alerter.web.auth` (sessions, tokens, CSRF) -> the web routers. Example::

    web:
      session_secret: "long random text"          # signs session cookies; keep it secret
      cookie_secure: true                           # false only for plain-http tests on loopback
      users:
        - {name: anna, role: responder, password_hash: "scrypt$16384$8$1$...$..."}
        - {name: manager, role: viewer, password_hash: "scrypt$..."}
      tokens:
        - {name: deploy-pipeline, role: responder, token: "long random text"}
      pagerduty_webhook_secrets: ["secret from the PagerDuty subscription"]

``alerter hash-password`` prints a ``password_hash`` for a password read from the terminal; the
password itself is never stored. Hashes are scrypt (stdlib ``hashlib.scrypt``), salted, with the
cost parameters in the string so they can be raised later without invalidating old hashes.
Every secret is a ``SecretStr``: never logged, never rendered.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from alerter.config.durations import Duration
from alerter.config.rules import StrictModel
from alerter.config.yamlsource import load_yaml, validate
from alerter.errors import ConfigError

SCHEME = "scrypt"
# OWASP's scrypt minimum (N=2^14, r=8, p=1): ~50 ms and 16 MiB per check on one core.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
_MAXMEM = 64 * 1024 * 1024
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"


class WebRole(StrEnum):
    """What a person or token may do: ``viewer`` reads, ``responder`` also acts (ack, resolve,
    maintenance). Ordered: a responder can do everything a viewer can."""

    VIEWER = "viewer"
    RESPONDER = "responder"


def hash_password(password: str, *, salt: bytes | None = None, n: int = SCRYPT_N) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of ``password`` with a fresh 16-byte salt."""
    if not password:
        raise ValueError("an empty password cannot be hashed")
    salt = secrets.token_bytes(16) if salt is None else salt
    digest = _scrypt(password, salt, n, SCRYPT_R, SCRYPT_P)
    return "$".join([SCHEME, str(n), str(SCRYPT_R), str(SCRYPT_P), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str) -> bool:
    """True if ``password`` matches ``encoded`` (a :func:`hash_password` string).

    The digests are compared in constant time; a malformed ``encoded`` is False, never an error.
    """
    parts = _parse_hash(encoded)
    if parts is None:
        return False
    n, r, p, salt, expected = parts
    return hmac.compare_digest(_scrypt(password, salt, n, r, p), expected)


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=_MAXMEM, dklen=32)


def _parse_hash(encoded: str) -> tuple[int, int, int, bytes, bytes] | None:
    fields = encoded.split("$")
    if len(fields) != 6 or fields[0] != SCHEME:
        return None
    try:
        n, r, p = (int(f) for f in fields[1:4])
        salt, digest = base64.b64decode(fields[4], validate=True), base64.b64decode(fields[5], validate=True)
    except ValueError:
        return None
    if n < 2 or n & (n - 1) or not 1 <= r <= 32 or not 1 <= p <= 16 or not salt or len(digest) != 32:
        return None
    return n, r, p, salt, digest


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


class WebUser(StrictModel):
    """A person who logs in with a password (only its hash is configured)."""

    name: str = Field(pattern=NAME_PATTERN)
    role: WebRole
    password_hash: SecretStr

    @field_validator("password_hash")
    @classmethod
    def _well_formed(cls, value: SecretStr) -> SecretStr:
        if _parse_hash(value.get_secret_value()) is None:
            raise ValueError("is not a password hash from `alerter hash-password` (scrypt$N$r$p$salt$hash)")
        return value


class WebToken(StrictModel):
    """An API bearer token; ``name`` is the actor in audit logs and timelines."""

    name: str = Field(pattern=NAME_PATTERN)
    role: WebRole
    token: SecretStr

    @field_validator("token")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 16:
            raise ValueError("is too short: use at least 16 random characters")
        return value


class WebSettings(StrictModel):
    """The ``web:`` section. ``session_secret`` None: a random one per process (logins do not
    survive a restart)."""

    users: tuple[WebUser, ...] = ()
    tokens: tuple[WebToken, ...] = ()
    session_secret: SecretStr | None = None
    session_lifetime: Duration = Field(default=12 * 3600.0, gt=0)
    cookie_secure: bool = True
    pagerduty_webhook_secrets: tuple[SecretStr, ...] = ()

    @model_validator(mode="after")
    def _unique_names(self) -> WebSettings:
        for kind, names in (("user", [u.name for u in self.users]), ("token", [t.name for t in self.tokens])):
            dup = sorted({n for n in names if names.count(n) > 1})
            if dup:
                raise ValueError(f"{kind} names must be unique; repeated: {', '.join(dup)}")
        secret = self.session_secret
        if secret is not None and len(secret.get_secret_value()) < 32:
            raise ValueError("session_secret is too short: use at least 32 random characters")
        return self


class _File(StrictModel):
    """An ``alerter.yaml`` as far as the web cares: its ``web:`` section; other keys belong to
    :class:`alerter.config.settings.Settings`, which checks them."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    web: WebSettings = WebSettings()


def load_web_settings(path: Path | str | None) -> WebSettings:
    """The ``web:`` section of the YAML file at ``path`` (defaults when None or absent).

    Raises ConfigError with ``path:line:col`` problems.
    """
    if path is None:
        return WebSettings()
    positioned, problems = load_yaml(path)
    if problems or positioned is None:
        raise ConfigError(problems)
    data: Any = positioned.data
    if data is None:
        return WebSettings()
    model, problems = validate(_File, positioned)
    if model is None:
        raise ConfigError(problems)
    return model.web


__all__ = [
    "WebRole",
    "WebSettings",
    "WebToken",
    "WebUser",
    "hash_password",
    "load_web_settings",
    "verify_password",
]
