"""Points -> InfluxDB line protocol text (second precision), for loading the demo into a real influxd.

Place in the flow: demo data output. The core may not import ``integrations``, so this small
encoder lives here; it follows the line protocol reference of InfluxDB 1.x: commas, spaces and
``=`` escaped in tag keys/values and field keys, commas and spaces in measurement names, strings
double-quoted, integers suffixed ``i``, tags sorted by key (the order influxd prefers).

>>> encode_point(Point("cpu", {"host": "a b", "env": "prod"}, {"usage_user": 12.5, "n": 3}, 100.0))
'cpu,env=prod,host=a\\\\ b usage_user=12.5,n=3i 100'
"""

from __future__ import annotations

from alerter.source.static import FieldValue, Point

_MEASUREMENT = str.maketrans({",": "\\,", " ": "\\ "})
_KEY = str.maketrans({",": "\\,", " ": "\\ ", "=": "\\="})


def encode_point(point: Point) -> str:
    """One line; ``time`` is written as integer seconds (use precision ``s`` when writing)."""
    head = point.measurement.translate(_MEASUREMENT)
    tags = "".join(
        f",{k.translate(_KEY)}={v.translate(_KEY)}" for k, v in sorted(point.tags.items()) if v != ""
    )
    fields = ",".join(f"{k.translate(_KEY)}={_field(v)}" for k, v in point.fields.items())
    return f"{head}{tags} {fields} {int(point.time)}"


def _field(value: FieldValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value}i"
    if isinstance(value, float):
        return repr(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
