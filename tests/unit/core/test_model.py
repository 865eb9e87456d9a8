"""Event, Severity and fingerprint: the value types every stage shares."""

import json

import pytest

from alerter.model import Event, Severity, fingerprint


def test_with_sets_fields_and_attributes_without_touching_the_original():
    e = Event(host="web1", service="cpu", metric=1.0, attributes={"env": "prod"})
    f = e.with_(state="critical", team="platform", env=None)
    assert (f.state, f.attributes) == ("critical", {"team": "platform"})
    assert (e.state, e.attributes) == (None, {"env": "prod"})


def test_with_stringifies_attribute_values_as_riemann_does():
    assert Event().with_(count=3).attributes == {"count": "3"}


def test_get_reads_fields_and_attributes_alike():
    e = Event(host="h", attributes={"role": "router"})
    assert (e.get("host"), e.get("role"), e.get("metric", 0), e.get("nope")) == ("h", "router", 0, None)


@pytest.mark.parametrize(
    "event",
    [
        Event(),
        Event(host="h", service="s", state="ok", description="d", metric=3, time=1.5, ttl=60.0),
        Event(tags=("a", "b"), attributes={"env": "prod", "rule": "cpu"}),
    ],
)
def test_json_round_trip(event):
    assert Event.from_json(event.to_json()) == event


def test_from_dict_accepts_nested_attributes_and_unknown_keys_as_attributes():
    e = Event.from_dict({"host": "h", "time": "12", "attributes": {"a": 1}, "b": True, "tags": ["x"]})
    assert (e.time, e.attributes, e.tags) == (12.0, {"a": "1", "b": "True"}, ("x",))


@pytest.mark.parametrize("bad", [{"metric": "high"}, {"time": [1]}, {"ttl": True}])
def test_from_dict_rejects_non_numeric_numbers(bad):
    with pytest.raises(ValueError, match=next(iter(bad))):
        Event.from_dict(bad)


def test_from_json_rejects_non_objects():
    with pytest.raises(ValueError, match="JSON object"):
        Event.from_json(json.dumps([1, 2]))


def test_to_dict_leaves_absent_fields_out():
    assert Event(host="h").to_dict() == {"host": "h"}


def test_events_are_not_hashable_because_they_hold_mutable_attributes():
    with pytest.raises(TypeError):
        hash(Event())


def test_severity_order():
    assert Severity.worst([Severity.WARNING, Severity.CRITICAL, Severity.OK]) is Severity.CRITICAL
    assert Severity.worst([]) is Severity.OK
    assert Severity("warning").rank == 1


def test_fingerprint_ignores_label_order_but_not_values_or_rule():
    a = fingerprint("cpu", {"host": "a", "env": "prod"})
    assert a == fingerprint("cpu", {"env": "prod", "host": "a"})
    assert a != fingerprint("cpu", {"env": "prod", "host": "b"})
    assert a != fingerprint("mem", {"env": "prod", "host": "a"})
    assert len(a) == 16


def test_fingerprint_separates_keys_from_values():
    # "ab"="c" must not collide with "a"="bc"
    assert fingerprint("r", {"ab": "c"}) != fingerprint("r", {"a": "bc"})


def test_fingerprint_is_stable_across_versions():
    # Persisted in the incident store and used in PagerDuty dedup keys: never change silently.
    assert fingerprint("host_cpu_high", {"host": "web-01", "env": "prod"}) == "d8b1167773de234a"
