"""Who is asking: password logins, API bearer tokens, signed session cookies and CSRF tokens.

Place in the flow: :mod:`alerter.config.web` (users, tokens, secrets) -> **here** (framework-free
decisions) -> :mod:`alerter.web.access` (the FastAPI dependencies every router uses).

* **Passwords**: scrypt hashes from the config; an unknown user name is checked against a dummy
  hash, so a wrong name and a wrong password take the same time and give the same answer.
* **Tokens**: compared with ``hmac.compare_digest`` against every configured token (no early
  exit), so timing tells nothing about which token or how much of it matched.
* **Session cookie**: ``base64url(json) "." base64url(HMAC-SHA256)`` keyed by the session secret,
  holding the user name, a per-session CSRF token and the expiry (from the injected clock). The
  role is NOT in the cookie: it is looked up in the config on every request, so removing a user
  or lowering their role takes effect at once.
* **CSRF**: the per-session token is rendered into every form as a hidden field (and may be sent
  as ``X-CSRF-Token`` by scripts); a POST whose token is missing or different is refused.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from alerter.clock import Clock
from alerter.config.web import SCRYPT_N, WebRole, WebSettings, hash_password, verify_password

PasswordCheck = Callable[[str, str], bool]
"""``(password, encoded_hash) -> matches``: :func:`alerter.config.web.verify_password`."""


class Via(StrEnum):
    """How a request proved who it is."""

    SESSION = "session"
    TOKEN = "token"


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller. ``csrf`` is the session's CSRF token (None for bearer tokens)."""

    name: str
    role: WebRole
    via: Via
    csrf: str | None = None

    @property
    def can_act(self) -> bool:
        """Whether this caller may change things (ack, resolve, maintenance)."""
        return self.role is WebRole.RESPONDER


class Authenticator:
    """Checks credentials against ``settings``; issues and reads session cookies.

    Without ``settings.session_secret`` a random secret is made for this process. ``check`` is the
    password verifier (injectable so tests can see that both login paths run it).
    """

    def __init__(
        self,
        settings: WebSettings,
        clock: Clock,
        *,
        check: PasswordCheck = verify_password,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._check = check
        configured = settings.session_secret
        raw = configured.get_secret_value().encode() if configured else secrets.token_bytes(32)
        self._key = hashlib.sha256(b"alerter-session\0" + raw).digest()
        self._users = {u.name: u for u in settings.users}
        self._tokens = [(t.name, t.role, t.token.get_secret_value().encode()) for t in settings.tokens]
        # the hash an unknown user's password is checked against, at the cost of the configured
        # hashes, so both paths cost one scrypt of the same size
        self._dummy = _dummy_hash(_cost(settings))

    @property
    def lifetime(self) -> float:
        return self._settings.session_lifetime

    def login(self, name: str, password: str) -> Principal | None:
        """The user if ``password`` is theirs, else None (same work either way)."""
        user = self._users.get(name)
        encoded = user.password_hash.get_secret_value() if user is not None else self._dummy
        matched = self._check(password, encoded)
        if user is None or not matched:
            return None
        return Principal(user.name, user.role, Via.SESSION, secrets.token_urlsafe(24))

    def bearer(self, token: str) -> Principal | None:
        """The configured token ``token`` is, or None; every token is compared."""
        given = token.encode("utf-8", "replace")
        found: tuple[str, WebRole] | None = None
        for name, role, expected in self._tokens:
            if hmac.compare_digest(given, expected) and found is None:
                found = (name, role)
        return None if found is None else Principal(found[0], found[1], Via.TOKEN)

    def issue(self, principal: Principal) -> str:
        """The session cookie value for a logged-in ``principal`` (it carries its CSRF token)."""
        payload = {"u": principal.name, "c": principal.csrf, "e": self._clock.now() + self.lifetime}
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"{body}.{_b64(self._sign(body))}"

    def session(self, cookie: str) -> Principal | None:
        """The principal of a session cookie; None if forged, expired, or the user is gone."""
        body, _, signature = cookie.partition(".")
        try:
            valid = hmac.compare_digest(_unb64(signature), self._sign(body))
            payload = json.loads(_unb64(body)) if valid else None
        except (ValueError, binascii.Error):
            return None
        if not isinstance(payload, dict) or not isinstance(payload.get("e"), int | float):
            return None
        user = self._users.get(str(payload.get("u")))
        csrf = payload.get("c")
        if user is None or not isinstance(csrf, str) or payload["e"] <= self._clock.now():
            return None
        return Principal(user.name, user.role, Via.SESSION, csrf)

    def _sign(self, body: str) -> bytes:
        return hmac.new(self._key, body.encode("ascii", "replace"), hashlib.sha256).digest()


def _cost(settings: WebSettings) -> int:
    """The scrypt N of the first configured user (the default when there is none)."""
    for user in settings.users:
        parts = user.password_hash.get_secret_value().split("$")
        return int(parts[1])  # well-formed: WebUser checked it
    return SCRYPT_N


@functools.cache
def _dummy_hash(n: int) -> str:
    """A hash of a random password nobody knows; made once per process and cost."""
    return hash_password(secrets.token_urlsafe(16), n=n)


def csrf_matches(principal: Principal, given: str | None) -> bool:
    """True if ``given`` is the session's CSRF token (constant-time); always False for tokens."""
    if principal.csrf is None or not given:
        return False
    return hmac.compare_digest(principal.csrf.encode(), given.encode("utf-8", "replace"))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


__all__ = ["Authenticator", "PasswordCheck", "Principal", "Via", "csrf_matches"]
