"""Horizontal bar charts drawn as plain SVG by a template: no script, any width."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

BAR_ROW = 40  # px per bar: a line of text above a bar
LABEL_CHARS = 28  # fits beside the amount on a 390 px phone


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    width: str  # percent of the chart's width, as SVG wants it
    text_y: int
    bar_y: int
    negative: bool


@dataclass(frozen=True)
class Chart:
    bars: list[Bar]
    height: int


def bar_chart(rows: Sequence[dict[str, Any]]) -> Chart:
    """A bar per row of {label, text, amount}, sized in percent of the biggest amount."""
    biggest = max((abs(row["amount"]) for row in rows), default=Decimal(0))
    bars = []
    for index, row in enumerate(rows):
        share = float(abs(row["amount"]) / biggest * 100) if biggest else 0.0
        label = row["label"]
        if len(label) > LABEL_CHARS:
            label = label[: LABEL_CHARS - 1] + "…"
        bars.append(
            Bar(
                label=label,
                text=row["text"],
                width=f"{max(share, 0.5) if row['amount'] else 0:.1f}",
                text_y=index * BAR_ROW + 15,
                bar_y=index * BAR_ROW + 21,
                negative=row["amount"] < 0,
            )
        )
    return Chart(bars=bars, height=len(rows) * BAR_ROW)
