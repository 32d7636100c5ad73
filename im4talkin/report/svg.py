"""Small hand-made SVG charts for the HTML report: no JavaScript, no plotting library."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BLUE = "#1f77b4"
RED = "#d62728"
GREEN = "#2ca02c"
ORANGE = "#ff7f0e"
GRID = "#dddddd"
INK = "#333333"

WIDTH = 640
LINE_HEIGHT = 220
ROW = 26
LABEL_W = 150


def _figure(title: str, width: int, height: int, body: list[str]) -> str:
    return (
        f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}">{"".join(body)}</svg>'
        f"<figcaption>{escape(title)}</figcaption></figure>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 11) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{INK}" '
        f'text-anchor="{anchor}" font-family="sans-serif">{escape(text)}</text>'
    )


def _nice_top(value: float) -> float:
    """A round number just above ``value`` for the top of an axis."""
    if value <= 0:
        return 1.0
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 500, 1000, 2000, 5000, 10000):
        if value <= step:
            return float(step)
    return float(value * 1.1)


def line_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    color: str = BLUE,
    top: float | None = None,
) -> str:
    """Values over time (one point per label), with a light grid and the y scale."""
    left, right, upper, lower = 44, 16, 14, 36
    plot_w, plot_h = WIDTH - left - right, LINE_HEIGHT - upper - lower
    top = top or _nice_top(max(values, default=0))
    body = []
    for i in range(5):
        y = upper + plot_h * i / 4
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
        )
        body.append(_text(left - 6, y + 4, f"{top * (4 - i) / 4:g}", "end"))
    n = len(values)
    points = []
    for i, v in enumerate(values):
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        y = upper + plot_h * (1 - min(v, top) / top)
        points.append((x, y))
    if n > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="3" '
            'stroke-linejoin="round"/>'
        )
    for x, y in points:
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>')
    shown = {0, n - 1, n // 2} if n > 2 else set(range(n))
    for i in sorted(shown):
        anchor = "start" if i == 0 and n > 1 else "end" if i == n - 1 and n > 1 else "middle"
        body.append(_text(points[i][0], LINE_HEIGHT - 12, labels[i], anchor))
    return _figure(title, WIDTH, LINE_HEIGHT, body)


def bar_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[float],
    colors: Sequence[str] | str = BLUE,
    top: float | None = None,
    unit: str = "",
) -> str:
    """Horizontal bars, one row per label, each with its value at the end."""
    colors = [colors] * len(values) if isinstance(colors, str) else list(colors)
    height = ROW * len(values) + 12
    plot_w = WIDTH - LABEL_W - 70
    top = top or _nice_top(max(values, default=0))
    body = []
    for i, (label, value, color) in enumerate(zip(labels, values, colors, strict=True)):
        y = 6 + ROW * i
        w = max(1.0, plot_w * min(value, top) / top) if value else 0.0
        body.append(_text(LABEL_W - 8, y + 16, label, "end"))
        body.append(
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{w:.1f}" height="{ROW - 8}" '
            f'fill="{color}" rx="2"/>'
        )
        body.append(_text(LABEL_W + w + 6, y + 16, f"{value:g}{unit}"))
    return _figure(title, WIDTH, height, body)
