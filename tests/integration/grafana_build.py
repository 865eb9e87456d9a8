"""Loads ``grafana/build.py`` (a script, not a package) for the Grafana tests, and what they share."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "grafana"


def load_build() -> ModuleType:
    """``grafana/build.py`` as a module (loaded once per session)."""
    name = "alerter_grafana_build"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, GRAFANA / "build.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def committed_dashboards() -> dict[str, dict[str, Any]]:
    """Every committed dashboard JSON by file name."""
    return {p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def panel_targets() -> list[tuple[str, str, str, str]]:
    """(dashboard file, panel title, refId, InfluxQL) of every target of every committed panel."""
    return [
        (name, panel["title"], target["refId"], target["query"])
        for name, board in committed_dashboards().items()
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def substitute(query: str, start: float, end: float, interval: str) -> str:
    """Replace Grafana's InfluxQL macros as its InfluxDB datasource does before sending.

    ``$timeFilter`` -> ``time >= <from>ms and time <= <to>ms`` (epoch milliseconds);
    ``$__interval``/``$interval`` -> the panel's interval (e.g. ``1m``, never below the
    datasource's ``timeInterval``). Any ``$`` left is a macro this function does not know.
    """
    text = query.replace("$timeFilter", f"time >= {int(start * 1000)}ms and time <= {int(end * 1000)}ms")
    text = text.replace("$__interval", interval).replace("$interval", interval)
    leftover = re.findall(r"\$\w+", text)
    assert not leftover, f"unknown macros {leftover} in {query}"
    return text
