"""Incident titles from their members: templates, defaults, root causes, storms."""

from __future__ import annotations

import pytest

from alerter.config.templates import compile_template
from alerter.incidents.titles import Member, common_labels, default_title, storm_title, title


def _apps(n: int, cluster: str = "c17", env: str = "prod") -> list[Member]:
    return [
        Member("app_5xx", {"env": env, "redis_cluster": cluster, "instance": f"i{k}", "host": f"h{k % 3}"})
        for k in range(n)
    ]


APPS_TITLE = compile_template(
    "5xx on {{ count }} {{ labels.env | upper }} app instance{{ 's' if count != 1 }}"
    "{% if labels.redis_cluster %} using redis cluster {{ labels.redis_cluster }}{% endif %}"
)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        (_apps(38), "5xx on 38 PROD app instances using redis cluster c17"),
        (_apps(1), "5xx on 1 PROD app instance using redis cluster c17"),
        (_apps(2) + _apps(2, "c18"), "5xx on 4 PROD app instances"),  # not one cluster: not named
    ],
)
def test_template_titles(members: list[Member], expected: str) -> None:
    assert title(members, APPS_TITLE) == expected


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ([Member("cpu", {"host": "a", "env": "prod", "role": "api"})], "cpu on a (PROD, role=api)"),
        (
            [Member("down", {"host": f"n{i}", "env": "prod", "rack": "r12"}) for i in range(120)],
            "down on 120 PROD hosts (rack=r12)",
        ),
        ([Member("cpu", {"host": "a"}), Member("mem", {"host": "a"})], "cpu, mem on a"),
        ([Member("x", {}), Member("x", {})], "x on 2 series"),
        ([], "no alerts"),
    ],
)
def test_default_titles(members: list[Member], expected: str) -> None:
    assert default_title(members) == expected


def test_a_root_cause_prefixes_the_title() -> None:
    assert title(_apps(2), APPS_TITLE, "redis c17 out of memory") == (
        "redis c17 out of memory: 5xx on 2 PROD app instances using redis cluster c17"
    )


def test_a_template_that_fails_falls_back_to_the_default_title() -> None:
    broken = compile_template("{{ count / 0 }}")
    assert title(_apps(2), broken) == default_title(_apps(2))


def test_common_labels_are_those_every_member_shares() -> None:
    assert common_labels(_apps(3)) == {"env": "prod", "redis_cluster": "c17"}


def test_storm_title_counts_rules() -> None:
    members = [Member("down", {})] * 3 + [Member("cpu", {})]
    assert storm_title(members, {"env": "prod"}) == "alert storm: 4 new alerts in PROD (down 3, cpu 1)"
