"""PageRequest / Delivery value types of the notify stage's Pager protocol."""

from __future__ import annotations

import pytest

from alerter.notify import Delivery, Outcome, PageAction, PageLink, PageRequest, PageSeverity


def test_trigger_needs_summary_and_source() -> None:
    with pytest.raises(ValueError, match="needs a summary and a source"):
        PageRequest(PageAction.TRIGGER, "inc-1", summary="", source="db1")
    with pytest.raises(ValueError, match="needs a summary and a source"):
        PageRequest(PageAction.TRIGGER, "inc-1", summary="disk full", source="")


def test_every_page_needs_a_dedup_key() -> None:
    with pytest.raises(ValueError, match="dedup_key"):
        PageRequest(PageAction.RESOLVE, "")


def test_acknowledge_and_resolve_need_only_the_key() -> None:
    page = PageRequest(PageAction.RESOLVE, "inc-1")
    assert (page.action, page.dedup_key, page.summary) == (PageAction.RESOLVE, "inc-1", "")


def test_custom_details_cannot_change_after_construction() -> None:
    details = {"hosts": ["db1"]}
    page = PageRequest(PageAction.TRIGGER, "inc-1", summary="s", source="db1", custom_details=details)
    details["hosts"] = ["db2"]
    details["extra"] = "x"
    assert dict(page.custom_details) == {"hosts": ["db1"]}
    with pytest.raises(TypeError):
        page.custom_details["x"] = 1  # type: ignore[index]


def test_links_are_stored_as_a_tuple() -> None:
    links = [PageLink("https://alerter/incidents/1", "incident")]
    page = PageRequest(PageAction.TRIGGER, "inc-1", summary="s", source="h", links=links)  # type: ignore[arg-type]
    assert page.links == (PageLink("https://alerter/incidents/1", "incident"),)


@pytest.mark.parametrize(
    ("outcome", "ok"), [(Outcome.OK, True), (Outcome.RECOVERABLE, False), (Outcome.PERMANENT, False)]
)
def test_delivery_ok_only_for_ok(outcome: Outcome, ok: bool) -> None:
    assert Delivery(outcome, "detail").ok is ok


def test_severity_values_are_the_four_on_call_levels() -> None:
    assert [s.value for s in PageSeverity] == ["critical", "error", "warning", "info"]
