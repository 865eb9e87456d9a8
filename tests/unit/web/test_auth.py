"""Credentials: password logins (same work for unknown names), tokens, signed session cookies, CSRF."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from alerter.clock import FakeClock
from alerter.config.web import WebRole, WebSettings, WebToken, WebUser, hash_password, verify_password
from alerter.web.auth import Authenticator, Principal, Via, csrf_matches

T0 = 1_795_000_000.0
FAST = 2**10
ANNA = hash_password("anna-pw", n=FAST)
BEN = hash_password("ben-pw", n=FAST)


def settings(
    *, anna_role: WebRole = WebRole.RESPONDER, with_anna: bool = True, secret: str = "s" * 40
) -> WebSettings:
    users = [WebUser(name="ben", role=WebRole.VIEWER, password_hash=SecretStr(BEN))]
    if with_anna:
        users.insert(0, WebUser(name="anna", role=anna_role, password_hash=SecretStr(ANNA)))
    return WebSettings(
        users=tuple(users),
        tokens=(
            WebToken(name="ci", role=WebRole.RESPONDER, token=SecretStr("ci-token-0123456789")),
            WebToken(name="board", role=WebRole.VIEWER, token=SecretStr("board-token-0123456789")),
        ),
        session_secret=SecretStr(secret),
    )


class RecordingCheck:
    """The real verifier, noting which hashes it was asked about."""

    def __init__(self) -> None:
        self.hashes: list[str] = []

    def __call__(self, password: str, encoded: str) -> bool:
        self.hashes.append(encoded)
        return verify_password(password, encoded)


def test_login_checks_a_hash_for_known_and_unknown_names_alike() -> None:
    check = RecordingCheck()
    auth = Authenticator(settings(), FakeClock(T0), check=check)
    anna = auth.login("anna", "anna-pw")
    assert anna is not None and (anna.name, anna.role, anna.via) == ("anna", WebRole.RESPONDER, Via.SESSION)
    assert anna.csrf and len(anna.csrf) >= 32
    assert auth.login("anna", "ben-pw") is None
    assert auth.login("nobody", "anna-pw") is None
    assert len(check.hashes) == 3
    assert check.hashes[:2] == [ANNA, ANNA]
    dummy = check.hashes[2]
    assert dummy not in (ANNA, BEN) and dummy.split("$")[1] == str(FAST)  # same cost as the real ones


def test_each_login_gets_its_own_csrf_token() -> None:
    auth = Authenticator(settings(), FakeClock(T0))
    first, second = auth.login("ben", "ben-pw"), auth.login("ben", "ben-pw")
    assert first is not None and second is not None and first.csrf != second.csrf


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        ("ci-token-0123456789", ("ci", WebRole.RESPONDER)),
        ("board-token-0123456789", ("board", WebRole.VIEWER)),
        ("ci-token-012345678", None),
        ("ci-token-01234567890", None),
        ("", None),
        ("Ci-token-0123456789", None),
    ],
)
def test_bearer_tokens(token: str, expected: tuple[str, WebRole] | None) -> None:
    found = Authenticator(settings(), FakeClock(T0)).bearer(token)
    assert (None if found is None else (found.name, found.role)) == expected
    assert found is None or (found.via is Via.TOKEN and found.csrf is None)


def test_a_session_cookie_round_trips_until_it_expires() -> None:
    clock = FakeClock(T0)
    auth = Authenticator(settings(), clock)
    anna = auth.login("anna", "anna-pw")
    assert anna is not None
    cookie = auth.issue(anna)
    assert auth.session(cookie) == anna
    clock.advance(auth.lifetime - 1)
    assert auth.session(cookie) == anna
    clock.advance(1)
    assert auth.session(cookie) is None


def test_a_forged_or_foreign_cookie_is_nobody() -> None:
    auth = Authenticator(settings(), FakeClock(T0))
    anna = auth.login("anna", "anna-pw")
    assert anna is not None
    cookie = auth.issue(anna)
    body, _, signature = cookie.partition(".")
    other = Authenticator(settings(secret="o" * 40), FakeClock(T0))
    for forged in (
        "",
        "garbage",
        f"{body}.",
        f"{body}x.{signature}",
        f"{body}.{signature[:-2]}AA",
        auth.issue(Principal("ben", WebRole.VIEWER, Via.SESSION, "c")).partition(".")[0] + f".{signature}",
        other.issue(anna),
    ):
        assert auth.session(forged) is None, forged


def test_the_role_comes_from_the_config_at_each_request() -> None:
    auth = Authenticator(settings(), FakeClock(T0))
    anna = auth.login("anna", "anna-pw")
    assert anna is not None
    cookie = auth.issue(anna)
    demoted = Authenticator(settings(anna_role=WebRole.VIEWER), FakeClock(T0)).session(cookie)
    assert demoted is not None and demoted.role is WebRole.VIEWER
    assert Authenticator(settings(with_anna=False), FakeClock(T0)).session(cookie) is None


def test_without_a_configured_secret_cookies_last_for_one_process() -> None:
    plain = settings().model_copy(update={"session_secret": None})
    first, second = Authenticator(plain, FakeClock(T0)), Authenticator(plain, FakeClock(T0))
    anna = first.login("anna", "anna-pw")
    assert anna is not None
    assert first.session(first.issue(anna)) == anna
    assert second.session(first.issue(anna)) is None


@pytest.mark.parametrize(
    ("principal", "given", "ok"),
    [
        (Principal("a", WebRole.RESPONDER, Via.SESSION, "tok"), "tok", True),
        (Principal("a", WebRole.RESPONDER, Via.SESSION, "tok"), "tok ", False),
        (Principal("a", WebRole.RESPONDER, Via.SESSION, "tok"), "", False),
        (Principal("a", WebRole.RESPONDER, Via.SESSION, "tok"), None, False),
        (Principal("a", WebRole.RESPONDER, Via.TOKEN, None), "", False),
        (Principal("a", WebRole.RESPONDER, Via.TOKEN, None), "tok", False),
    ],
)
def test_csrf_matches(principal: Principal, given: str | None, ok: bool) -> None:
    assert csrf_matches(principal, given) is ok
