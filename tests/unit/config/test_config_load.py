"""load_rules: directory walking, group defaults, locations, digests and partial loading."""

from __future__ import annotations

from pathlib import Path

import pytest

from alerter.config.load import RuleSet, load_rule_file, load_rules, rule_files
from alerter.config.rules import Location
from alerter.errors import ConfigError, Problem

GOOD = Path(__file__).parent / "good_rules"
# good_rules plus files a directory walk must pass over (hidden, tests/, companion config files)
WALK = Path(__file__).parent / "walk_rules"
QUERY = 'SELECT mean("v") FROM "m" WHERE time > now() - 1m GROUP BY "host"'

RULES = f"""\
groups:
  - name: host
    interval: 30s
    labels: {{team: platform, tier: web}}
    rules:
      - name: a
        query: {QUERY}
        thresholds: {{warning: 85}}
      - name: b
        interval: 1m
        labels: {{team: storage}}
        query: {QUERY}
        thresholds: {{warning: 85}}
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def by_name(ruleset: RuleSet) -> dict:
    return {r.name: r for r in ruleset.rules}


def test_group_defaults_apply_and_rule_values_override_them(tmp_path: Path) -> None:
    path = write(tmp_path, "host.yaml", RULES)
    rules = by_name(load_rules([path]))
    assert (rules["a"].interval, rules["a"].labels) == (30.0, {"team": "platform", "tier": "web"})
    assert (rules["b"].interval, rules["b"].labels) == (60.0, {"team": "storage", "tier": "web"})
    assert rules["a"].group == "host"


def test_location_is_the_rule_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "host.yaml", RULES)
    rules = by_name(load_rules([path]))
    assert rules["a"].location == Location(str(path), 6, 9)
    assert rules["b"].location == Location(str(path), 9, 9)


def test_digest_is_stable_across_loads_and_moves(tmp_path: Path) -> None:
    first = by_name(load_rules([write(tmp_path, "one/host.yaml", RULES)]))
    moved = by_name(load_rules([write(tmp_path, "two/x.yaml", "# moved down by a comment\n" + RULES)]))
    assert first["a"].digest == moved["a"].digest and first["b"].digest == moved["b"].digest
    assert first["a"].location.line != moved["a"].location.line
    assert len(first["a"].digest) == 16 and first["a"].digest != first["b"].digest


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("thresholds: {warning: 85}\n      - name: b", "thresholds: {warning: 86}\n      - name: b"),
        ("labels: {team: platform, tier: web}", "labels: {team: platform, tier: api}"),
        ("interval: 30s", "interval: 15s"),
        ("  - name: host", "  - name: hosts"),
        (
            "      - name: a\n        query: " + QUERY,
            "      - name: a\n        query: " + QUERY.replace("1m", "2m"),
        ),
    ],
    ids=["threshold", "group label", "group interval", "group name", "query"],
)
def test_digest_changes_with_the_effective_definition(tmp_path: Path, old: str, new: str) -> None:
    assert old in RULES
    before = by_name(load_rules([write(tmp_path, "a/h.yaml", RULES)]))["a"].digest
    after = by_name(load_rules([write(tmp_path, "b/h.yaml", RULES.replace(old, new, 1))]))["a"].digest
    assert before != after


def test_digest_depends_on_effective_values_not_where_they_are_written(tmp_path: Path) -> None:
    in_rule = RULES.replace(
        "      - name: a\n", "      - name: a\n        interval: 30s\n        labels: {tier: web}\n"
    )
    assert in_rule != RULES
    before = by_name(load_rules([write(tmp_path, "a/h.yaml", RULES)]))["a"].digest
    after = by_name(load_rules([write(tmp_path, "b/h.yaml", in_rule)]))["a"].digest
    assert before == after


def test_directory_walk_skips_tests_folder_and_other_config_files() -> None:
    files, problems = rule_files([WALK])
    assert problems == []
    assert [f.relative_to(WALK).as_posix() for f in files] == ["host.yaml", "team_db/db.yml"]


def test_an_explicit_file_is_loaded_whatever_its_name(tmp_path: Path) -> None:
    path = write(tmp_path, "oncall.yaml", RULES)
    assert [r.name for r in load_rules([path]).rules] == ["a", "b"]


def test_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    ruleset = load_rules([tmp_path / "nope", GOOD])
    assert ruleset.problems == (Problem(str(tmp_path / "nope"), 1, 1, "no such file or directory"),)
    assert len(ruleset.rules) == 6


def test_a_broken_file_does_not_hide_the_other_files_rules(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "groups: [\n")
    write(tmp_path, "b.yaml", RULES)
    ruleset = load_rules([tmp_path])
    assert [r.name for r in ruleset.rules] == ["a", "b"]
    assert [(p.path, p.line) for p in ruleset.problems] == [(str(tmp_path / "a.yaml"), 2)]
    assert ruleset.files == (str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml"))


def test_a_broken_rule_is_dropped_and_its_neighbours_load(tmp_path: Path) -> None:
    text = RULES.replace("      - name: b\n", "      - name: b\n        fro: 5m\n").replace(
        "        thresholds: {warning: 85}\n      - name: b",
        "        thresholds: {warning: 85}\n        for: 5m\n      - name: b",
    )
    text += "      - name: c\n        query: x\n        thresholds: {}\n"
    path = write(tmp_path, "h.yaml", text)
    ruleset = load_rules([path])
    assert [r.name for r in ruleset.rules] == ["a"]
    assert by_name(ruleset)["a"].rule.for_ == 300.0
    assert [p.message.split(":")[0] for p in ruleset.problems] == ['rule "b"', 'rule "c"']


def test_a_duplicate_key_drops_only_its_rule(tmp_path: Path) -> None:
    text = RULES.replace("        interval: 1m\n", "        interval: 1m\n        interval: 2m\n")
    ruleset = load_rules([write(tmp_path, "h.yaml", text)])
    assert [r.name for r in ruleset.rules] == ["a"]
    assert [str(p) for p in ruleset.problems] == [
        f'{tmp_path / "h.yaml"}:11:9: rule "b": duplicate key "interval" (first at line 10)'
    ]


def test_a_group_level_error_drops_the_group_but_not_other_groups(tmp_path: Path) -> None:
    second = RULES.replace("groups:\n", "").replace("name: host", "name: other").replace("name: a", "name: c")
    second = second.replace("name: b", "name: d").replace("interval: 30s", "interval: soon")
    ruleset = load_rules([write(tmp_path, "h.yaml", RULES + second)])
    assert [r.name for r in ruleset.rules] == ["a", "b"]
    assert [p.message for p in ruleset.problems] == [
        'group "other": field "interval": "soon" is not a duration (expected e.g. 5m, 1h30m)'
    ]


def test_problems_are_sorted_and_raise_for_problems_carries_them_all(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", "groups: []\n")
    write(tmp_path, "a.yaml", "")
    ruleset = load_rules([tmp_path])
    assert [p.path for p in ruleset.problems] == [str(tmp_path / "a.yaml"), str(tmp_path / "b.yaml")]
    with pytest.raises(ConfigError) as err:
        ruleset.raise_for_problems()
    assert err.value.problems == list(ruleset.problems)
    load_rules([GOOD]).raise_for_problems()


def test_load_rule_file_keeps_each_rules_data_location(tmp_path: Path) -> None:
    loaded = load_rule_file(write(tmp_path, "h.yaml", RULES))
    assert [loc for _, loc in loaded.rules] == [("groups", 0, "rules", 0), ("groups", 0, "rules", 1)]
    assert loaded.positioned is not None and loaded.positioned.position(
        ("groups", 0, "rules", 1, "query")
    ) == (12, 16)
