"""The ``web:`` config section: password hashes, strict settings, located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from alerter.config.web import (
    WebRole,
    WebSettings,
    WebToken,
    WebUser,
    hash_password,
    load_web_settings,
    verify_password,
)
from alerter.errors import ConfigError

FAST = 2**10  # scrypt cost for tests; the default is 2**14


def test_a_hash_verifies_its_password_only() -> None:
    encoded = hash_password("correct horse", n=FAST)
    assert encoded.startswith(f"scrypt${FAST}$8$1$")
    assert verify_password("correct horse", encoded)
    assert not verify_password("correct hors", encoded)
    assert not verify_password("", encoded)


def test_each_hash_has_its_own_salt() -> None:
    assert hash_password("same", n=FAST) != hash_password("same", n=FAST)
    salt = b"0123456789abcdef"
    assert hash_password("same", salt=salt, n=FAST) == hash_password("same", salt=salt, n=FAST)


def test_an_empty_password_is_refused() -> None:
    with pytest.raises(ValueError, match="empty password"):
        hash_password("")


@pytest.mark.parametrize(
    "encoded",
    [
        "",
        "plain-text-password",
        "bcrypt$1024$8$1$c2FsdA==$aGFzaA==",
        "scrypt$1000$8$1$c2FsdA==$" + "A" * 44,  # N not a power of two
        "scrypt$1024$8$1$not base64$" + "A" * 44,
        "scrypt$1024$8$1$c2FsdA==$aGFzaA==",  # digest not 32 bytes
        "scrypt$1024$8$1$$" + "A" * 44,  # no salt
        "scrypt$x$8$1$c2FsdA==$" + "A" * 44,
    ],
)
def test_a_malformed_hash_never_verifies(encoded: str) -> None:
    assert not verify_password("anything", encoded)


def user(name: str = "anna", role: WebRole = WebRole.RESPONDER) -> WebUser:
    return WebUser(name=name, role=role, password_hash=SecretStr(hash_password("pw", n=FAST)))


def test_settings_refuse_repeated_names_short_secrets_and_bad_hashes() -> None:
    with pytest.raises(ValidationError, match="user names must be unique; repeated: anna"):
        WebSettings(users=(user(), user(role=WebRole.VIEWER)))
    with pytest.raises(ValidationError, match="too short"):
        WebToken(name="ci", role=WebRole.VIEWER, token=SecretStr("short"))
    with pytest.raises(ValidationError, match="session_secret is too short"):
        WebSettings(session_secret=SecretStr("x" * 31))
    with pytest.raises(ValidationError, match="is not a password hash"):
        WebUser(name="anna", role=WebRole.VIEWER, password_hash=SecretStr("hunter2"))
    with pytest.raises(ValidationError, match="Extra inputs"):
        WebSettings.model_validate({"users": [], "cookie_secur": False})


def test_secrets_do_not_show_in_repr() -> None:
    settings = WebSettings(
        users=(user(),),
        tokens=(WebToken(name="ci", role=WebRole.VIEWER, token=SecretStr("t" * 20)),),
        session_secret=SecretStr("s" * 40),
        pagerduty_webhook_secrets=(SecretStr("w" * 20),),
    )
    text = repr(settings) + str(settings.model_dump())
    assert "scrypt$" not in text and "t" * 20 not in text and "s" * 40 not in text and "w" * 20 not in text


def test_the_web_section_is_read_from_alerter_yaml(tmp_path: Path) -> None:
    path = tmp_path / "alerter.yaml"
    encoded = hash_password("pw", n=FAST)
    path.write_text(
        "database_url: sqlite:///x.db\n"
        "web:\n"
        "  cookie_secure: false\n"
        f"  users:\n    - {{name: anna, role: responder, password_hash: '{encoded}'}}\n"
    )
    settings = load_web_settings(path)
    assert settings.cookie_secure is False
    assert [(u.name, u.role) for u in settings.users] == [("anna", WebRole.RESPONDER)]
    assert load_web_settings(None) == WebSettings()


def test_a_mistake_in_the_web_section_is_located(tmp_path: Path) -> None:
    path = tmp_path / "alerter.yaml"
    path.write_text("web:\n  users:\n    - {name: anna, role: admin, password_hash: x}\n")
    with pytest.raises(ConfigError) as caught:
        load_web_settings(path)
    text = str(caught.value)
    assert f"{path}:3:" in text and "role" in text
