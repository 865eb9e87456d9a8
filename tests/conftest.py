"""Shared pytest set-up. Server fixtures live in tests/fixtures/, one module per outside system."""

pytest_plugins = ["tests.fixtures.influx", "tests.fixtures.postgres"]
