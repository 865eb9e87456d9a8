"""Server-side SVG charts: bar, stacked bar and line. Pure functions returning SVG strings.

Place in the flow: :class:`~alerter.reports.report.Report` figures -> **here** -> inlined in the
weekly mail (:mod:`.weekly`) and the web UI. No JavaScript, no CDN, no fonts to fetch: a mail
client or an offline browser shows them as they are.

Accessible and readable by hovering: each chart is ``role="img"`` labelled by its ``<title>`` and a
``<desc>`` that states the figures in words; axes carry labels; every bar and point has its own
``<title>`` (``"Tue 03: 12 pages"``), which browsers show as a tooltip and screen readers read.
Colours are the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies)::

    svg = bar_chart("Pages per day", ["Mon", "Tue"], [3, 5], x_label="day", y_label="pages")

All text is XML-escaped, so a rule or host name cannot inject markup.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
"""Okabe-Ito colours, in the order series take them."""

MAX_BAR_WIDTH = 56.0
"""Pixels: a lone bar stays a bar, not a slab."""

Series = tuple[str, Sequence[float]]
"""One named row of values, one value per x label."""


@dataclass(frozen=True, slots=True)
class _Frame:
    """Plot area geometry and the y scale."""

    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    y_max: float
    step: float

    @property
    def plot_w(self) -> float:
        return self.width - self.left - self.right

    @property
    def plot_h(self) -> float:
        return self.height - self.top - self.bottom

    def y(self, value: float) -> float:
        return self.top + self.plot_h * (1 - value / self.y_max)

    def slot(self, i: int, n: int) -> tuple[float, float]:
        """(left x, width) of the i-th of n x slots."""
        w = self.plot_w / max(n, 1)
        return self.left + i * w, w


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    *,
    x_label: str,
    y_label: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    chart_id: str | None = None,
) -> str:
    """One bar per label. ``unit`` follows each number in tooltips (``"12 pages"``)."""
    return stacked_bar_chart(
        title, labels, [(y_label, values)], x_label=x_label, y_label=y_label, unit=unit,
        width=width, height=height, chart_id=chart_id, legend=False,
    )  # fmt: skip


def stacked_bar_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    chart_id: str | None = None,
    legend: bool = True,
) -> str:
    """Bars of ``series`` stacked per label, first series at the bottom. Raises ValueError if a
    series has not one value per label."""
    _check(labels, series)
    totals = [sum(s[1][i] for s in series) for i in range(len(labels))]
    frame = _frame(width, height, totals, legend and len(series) > 1)
    cid = chart_id or _slug(title)
    parts = _open(cid, title, _describe(labels, series, unit), frame, x_label, y_label, labels)
    for i, label in enumerate(labels):
        x, w = frame.slot(i, len(labels))
        bar_w = min(w * 0.7, MAX_BAR_WIDTH)
        base = 0.0
        parts.append(
            f'<g class="bar-group"><title>{escape(f"{label}: {_num(totals[i])} {unit}".strip())}</title>'
        )
        for k, (name, values) in enumerate(series):
            v = values[i]
            if v > 0:
                y_top, y_bottom = frame.y(base + v), frame.y(base)
                tip = (
                    f"{label}, {name}: {_num(v)} {unit}".strip()
                    if len(series) > 1
                    else f"{label}: {_num(v)} {unit}".strip()
                )
                parts.append(
                    f'<rect class="bar" x="{x + (w - bar_w) / 2:.1f}" y="{y_top:.1f}" width="{bar_w:.1f}" '
                    f'height="{y_bottom - y_top:.1f}" fill="{PALETTE[k % len(PALETTE)]}">'
                    f"<title>{escape(tip)}</title></rect>"
                )
            base += v
        parts.append("</g>")
    if legend and len(series) > 1:
        parts += _legend(frame, [name for name, _ in series])
    parts.append("</svg>")
    return "".join(parts)


def line_chart(
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    x_label: str,
    y_label: str,
    unit: str = "",
    width: int = 640,
    height: int = 260,
    chart_id: str | None = None,
) -> str:
    """One line per series over the labels, with a hoverable point per value."""
    _check(labels, series)
    frame = _frame(width, height, [v for _, values in series for v in values], len(series) > 1)
    cid = chart_id or _slug(title)
    parts = _open(cid, title, _describe(labels, series, unit), frame, x_label, y_label, labels)
    for k, (name, values) in enumerate(series):
        colour = PALETTE[k % len(PALETTE)]
        points = [
            (frame.slot(i, len(labels))[0] + frame.slot(i, len(labels))[1] / 2, frame.y(v))
            for i, v in enumerate(values)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<g class="series"><title>{escape(name)}</title>')
        parts.append(
            f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" points="{path}"/>'
        )
        for (x, y), label, v in zip(points, labels, values, strict=True):
            tip = f"{label}, {name}: {_num(v)} {unit}".strip()
            parts.append(
                f'<circle class="point" cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
        parts.append("</g>")
    if len(series) > 1:
        parts += _legend(frame, [name for name, _ in series])
    parts.append("</svg>")
    return "".join(parts)


def nice_scale(top: float, *, integer: bool = False) -> tuple[float, float]:
    """``(y_max, step)`` of a y axis showing ``top`` with about four gridlines.

    The step is 1, 2 or 5 times a power of ten (at least 1 for counts, so no axis says "2.5
    pages"); ``y_max`` is the first multiple of the step at or above ``top``.
    """
    if top <= 0:
        return 1.0, 1.0 if integer else 0.25
    raw = top / 4
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    if integer:
        step = max(step, 1.0)
    return math.ceil(top / step - 1e-9) * step, step


def _frame(width: int, height: int, values: Sequence[float], legend: bool) -> _Frame:
    top = max(values, default=0)
    y_max, step = nice_scale(top, integer=all(float(v).is_integer() for v in values))
    right = 16 + (120 if legend else 0)
    return _Frame(width, height, left=56, top=34, right=right, bottom=48, y_max=y_max, step=step)


def _open(
    cid: str, title: str, desc: str, f: _Frame, x_label: str, y_label: str, labels: Sequence[str]
) -> list[str]:
    """The svg element, title, description, axes, ticks and axis labels."""
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-labelledby="{cid}-title {cid}-desc" '
        f'id={quoteattr(cid)} width="{f.width}" height="{f.height}" viewBox="0 0 {f.width} {f.height}" '
        'font-family="Helvetica, Arial, sans-serif" font-size="11">',
        f'<title id="{cid}-title">{escape(title)}</title><desc id="{cid}-desc">{escape(desc)}</desc>',
        f'<text class="chart-title" x="{f.left}" y="18" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for k in range(round(f.y_max / f.step) + 1):
        v = k * f.step
        y = f.y(v)
        out.append(
            f'<line class="grid" x1="{f.left}" x2="{f.width - f.right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text class="y-tick" x="{f.left - 6}" y="{y + 4:.1f}" text-anchor="end">{_num(v)}</text>'
        )
    bottom = f.height - f.bottom
    out.append(f'<line class="axis" x1="{f.left}" x2="{f.left}" y1="{f.top}" y2="{bottom}" stroke="#333"/>')
    out.append(
        f'<line class="axis" x1="{f.left}" x2="{f.width - f.right}" y1="{bottom}" y2="{bottom}" stroke="#333"/>'
    )
    every = max(1, math.ceil(len(labels) / max(int(f.plot_w // 48), 1)))
    for i, label in enumerate(labels):
        if i % every == 0:
            x, w = f.slot(i, len(labels))
            out.append(
                f'<text class="x-tick" x="{x + w / 2:.1f}" y="{bottom + 14}" text-anchor="middle">{escape(label)}</text>'
            )
    out.append(
        f'<text class="axis-label" x="{f.left + f.plot_w / 2:.1f}" y="{f.height - 8}" text-anchor="middle">{escape(x_label)}</text>'
    )
    mid = f.top + f.plot_h / 2
    out.append(
        f'<text class="axis-label" x="14" y="{mid:.1f}" text-anchor="middle" transform="rotate(-90 14 {mid:.1f})">{escape(y_label)}</text>'
    )
    return out


def _legend(f: _Frame, names: Sequence[str]) -> list[str]:
    x = f.width - f.right + 12
    out = ['<g class="legend">']
    for k, name in enumerate(names):
        y = f.top + 16 * k
        out.append(
            f'<rect x="{x}" y="{y}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
            f'<text x="{x + 14}" y="{y + 9}">{escape(name)}</text>'
        )
    out.append("</g>")
    return out


def _describe(labels: Sequence[str], series: Sequence[Series], unit: str) -> str:
    """The figures in words, for screen readers and for mail clients that drop SVG."""
    parts = []
    for name, values in series:
        cells = ", ".join(f"{label} {_num(v)}" for label, v in zip(labels, values, strict=True))
        parts.append(f"{name}{f' ({unit})' if unit else ''}: {cells or 'no data'}")
    return "; ".join(parts) + "."


def _check(labels: Sequence[str], series: Sequence[Series]) -> None:
    for name, values in series:
        if len(values) != len(labels):
            raise ValueError(f"chart series {name!r} has {len(values)} values for {len(labels)} labels")


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _slug(title: str) -> str:
    return "chart-" + (re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "untitled")
