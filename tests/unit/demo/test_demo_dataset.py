"""The demo data set: deterministic, the promised platform, the injected problems, line protocol."""

from __future__ import annotations

import hashlib

import pytest

from alerter.demo.dataset import DEFAULT_START, MINUTE, DemoDataset, generate, problems
from alerter.demo.platform import APPS, HOSTS
from alerter.source.lineprotocol import encode_point
from alerter.source.static import Point


@pytest.fixture(scope="module")
def data() -> DemoDataset:
    """The full default data set, generated once for this module (about a second)."""
    return generate()


def digest(seed: int, minutes: float = 5) -> str:
    lines = "\n".join(generate(seed=seed, duration=minutes * MINUTE).line_protocol())
    return hashlib.sha256(lines.encode()).hexdigest()


def test_same_seed_same_bytes_other_seed_other_bytes() -> None:
    assert digest(1) == digest(1)
    assert digest(1) != digest(2)


def test_platform_shape() -> None:
    assert len(HOSTS) == 60 and len({h.name for h in HOSTS}) == 60
    assert {h.env for h in HOSTS} == {"prod", "stg", "dev"}
    assert {h.role for h in HOSTS} >= {
        "router",
        "api",
        "healthcheck",
        "messaging",
        "app-runner",
        "redis",
        "mongodb",
        "mysql",
    }
    assert {h.cluster for h in HOSTS if h.role == "redis" and h.env == "prod"} == {"sessions", "cache"}
    assert {h.cluster for h in HOSTS if h.role == "mongodb" and h.env == "prod"} == {"rs-main"}
    assert len(APPS) == 42 and len({a.instance for a in APPS}) == 42
    runners = {h.name for h in HOSTS if h.role == "app-runner"}
    assert {a.host for a in APPS} <= runners


def test_points_cover_every_series_at_every_step() -> None:
    data = generate(duration=2 * MINUTE)
    steps = 12
    per_step = (
        3 * len(HOSTS)  # cpu, mem, disk /
        + sum(1 for h in HOSTS if h.role == "mysql")  # disk /var/lib/mysql
        + sum(1 for h in HOSTS if h.role in ("router", "redis", "mongodb"))
        + len(APPS)
    )
    assert len(data.points) == steps * per_step
    assert {p.measurement for p in data.points} == {"cpu", "mem", "disk", "router", "redis", "mongodb", "app"}
    assert all({"host", "role", "env"} <= set(p.tags) for p in data.points)
    assert {p.time for p in data.points} == {DEFAULT_START + 10 * i for i in range(steps)}


def test_silent_host_sends_nothing_during_its_problem(data: DemoDataset) -> None:
    silent = data.problem("host_silent")
    own = [p for p in data.points if p.tags["host"] == "runner-prod-08" and p.measurement != "app"]
    assert own and not [p for p in own if silent.active(p.time)]
    probes = [
        p.fields["health_ok"]
        for p in data.points
        if p.measurement == "app" and p.tags["host"] == "runner-prod-08" and silent.active(p.time)
    ]
    assert probes and set(probes) == {0}


@pytest.mark.parametrize(
    ("name", "measurement", "host", "field", "minute", "expected"),
    [
        ("cpu_saturation", "cpu", "api-prod-03", "usage_user", 25, (94, 100)),
        ("disk_filling", "disk", "mysql-prod-01", "used_percent", 75, (98, 99.5)),
        ("redis_oom", "redis", "redis-prod-a-1", "used_memory_percent", 95, (100, 100)),
        ("mongodb_lag", "mongodb", "mongo-prod-3", "repl_lag_s", 105, (130, 170)),
        ("stg_memory_pressure", "mem", "runner-stg-03", "used_percent", 70, (94, 98)),
    ],
)
def test_problems_are_in_the_data(
    data: DemoDataset,
    name: str,
    measurement: str,
    host: str,
    field: str,
    minute: float,
    expected: tuple[float, float],
) -> None:
    t = DEFAULT_START + minute * MINUTE
    assert data.problem(name).active(t)
    (value,) = [
        p.fields[field]
        for p in data.points
        if p.time == t
        and p.measurement == measurement
        and p.tags["host"] == host
        and field in p.fields
        and p.tags.get("path", "/var/lib/mysql") == "/var/lib/mysql"
    ]
    assert isinstance(value, float | int) and expected[0] <= value <= expected[1]


def test_timeline_is_absolute_and_names_rules() -> None:
    timeline = problems(start=1000.0)
    assert [p.name for p in timeline][:3] == ["memory_leak", "single_sample_spikes", "cpu_saturation"]
    saturation = next(p for p in timeline if p.name == "cpu_saturation")
    assert (saturation.start, saturation.end, saturation.hosts, saturation.rules) == (
        1000.0 + 20 * MINUTE,
        1000.0 + 35 * MINUTE,
        ("api-prod-03",),
        ("host_cpu_high",),
    )
    assert {p.env for p in timeline} == {"prod", "stg"}
    oom = next(p for p in timeline if p.name == "redis_oom")
    assert oom.hosts[0] == "redis-prod-a-1" and set(oom.hosts[1:]) == {
        a.host for a in APPS if a.redis == "sessions"
    }


def test_unknown_problem_names_the_known_ones(data: DemoDataset) -> None:
    with pytest.raises(
        KeyError, match="no injected problem 'nope' \\(known: memory_leak, single_sample_spikes"
    ):
        data.problem("nope")


@pytest.mark.parametrize(
    ("point", "line"),
    [
        (
            Point("cpu", {"host": "a", "env": "prod"}, {"usage_user": 12.5}, 100.0),
            "cpu,env=prod,host=a usage_user=12.5 100",
        ),
        (Point("app", {"host": "r"}, {"health_ok": 1}, 7), "app,host=r health_ok=1i 7"),
        (Point("x y,z", {"k=1": "v 1,2"}, {"f g": True}, 1), "x\\ y\\,z,k\\=1=v\\ 1\\,2 f\\ g=true 1"),
        (Point("m", {"empty": ""}, {"s": 'say "hi" \\o/'}, 2), 'm s="say \\"hi\\" \\\\o/" 2'),
    ],
)
def test_line_protocol(point: Point, line: str) -> None:
    assert encode_point(point) == line
