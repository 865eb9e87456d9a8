"""Locating PagerDuty's OpenAPI files: env var first, else ../shared/pagerduty beside the project."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.pagerduty.fake.spec import EVENTS_FILE, SPEC_DIR_ENV, events_api, rest_api, spec_dir


def test_default_is_shared_folder_beside_the_project(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SPEC_DIR_ENV, raising=False)
    project_root = Path(__file__).resolve().parents[4]
    assert spec_dir() == project_root.parent / "shared" / "pagerduty"


def test_env_var_points_elsewhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / EVENTS_FILE).write_text("{}")
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path))
    assert spec_dir() == tmp_path


def test_missing_files_name_the_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(SPEC_DIR_ENV, str(tmp_path))
    with pytest.raises(FileNotFoundError, match=SPEC_DIR_ENV):
        spec_dir()


def test_descriptions_are_loaded_once_per_process() -> None:
    assert events_api() is events_api()
    assert rest_api() is rest_api()
