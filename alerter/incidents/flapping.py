"""Flap detection, Nagios/Kapacitor style: the share of state changes over the last N evaluations,
with hysteresis between a low and a high threshold.

Place in the flow: used per fingerprint by the dedup stage of :mod:`.correlate`, which sees every
evaluation of a series. The window is an int bit set (bit i = "the state changed i evaluations
ago"), so the state of one series is two small ints and a bool, plain data that survives a restart.

>>> spec = FlapSpec(window=4, low=0.25, high=0.5)
>>> bits, flapping, seen = 0, False, []
>>> for changed in (True, True, False, False, False, False):
...     bits = push(bits, changed, spec.window)
...     flapping = next_flapping(flapping, share(bits, spec.window), spec)
...     seen.append(flapping)
>>> seen
[False, True, True, True, True, False]
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FlapSpec:
    """``window`` evaluations; flapping from ``share >= high`` until ``share < low``."""

    window: int = 20
    low: float = 0.05
    high: float = 0.2

    def __post_init__(self) -> None:
        if not 2 <= self.window <= 64 or not 0 <= self.low < self.high <= 1:
            raise ValueError(f"flapping: need 2 <= window <= 64 and 0 <= low < high <= 1, got {self}")

    @property
    def mask(self) -> int:
        return (1 << self.window) - 1


def push(bits: int, changed: bool, window: int) -> int:
    """The window after one more evaluation (the oldest falls out)."""
    return ((bits << 1) | changed) & ((1 << window) - 1)


def share(bits: int, window: int) -> float:
    """Share of the last ``window`` evaluations that changed state (0.0 .. 1.0)."""
    return bits.bit_count() / window


def next_flapping(flapping: bool, ratio: float, spec: FlapSpec) -> bool:
    """Hysteresis: start at ``ratio >= high``, stop at ``ratio < low``, else keep ``flapping``."""
    if flapping:
        return ratio >= spec.low
    return ratio >= spec.high
