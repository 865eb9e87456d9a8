"""InfluxDB 1.x (and the v1-compatible API of 2.x/3.x) as alerter's metric source.

Implements :class:`alerter.source.MetricSource` over the HTTP API. Pure parts (statement
rewriting, answer parsing, line protocol, retry policy) are split from the I/O in
:mod:`.client`; :mod:`.server` runs a private ``influxd`` for tests, the demo and benchmarks.
"""

from .client import InfluxMetricSource
from .lineprotocol import LineProtocolError, format_line
from .retry import Backoff
from .writes import FailedLine, WriteResult

__all__ = ["Backoff", "FailedLine", "InfluxMetricSource", "LineProtocolError", "WriteResult", "format_line"]
