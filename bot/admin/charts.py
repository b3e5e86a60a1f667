"""Charts for the admin pages: inline SVG drawn on the server, nothing fetched by the browser.

Two shapes cover the stats page: horizontal bars (a label, a value, the value as
text) and columns (stacked series over a row of labels: days, hours of the day).
Every label is escaped here, since channel names, languages and reasons come from
the store; colours are SVG attributes, not inline styles, so a strict
Content-Security-Policy allows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from bot.admin.stats import Stats, humanize

PALETTE = ("#2f6db5", "#e08a2e", "#3c9a5f", "#c2453d", "#7d5ab5", "#8c6d4f", "#d16ba5", "#6f7780", "#b5b52f", "#2fb5b0")
WIDTH = 560
ROW = 24  # height of one horizontal bar, with its gap
LABEL = 150  # room for the labels left of the bars
FONT = 'font-family="sans-serif" font-size="12"'


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # shown after the bar (a count, a share, a duration)


HEADING = 24  # the title's line above the chart


def _svg(title: str, height: int, body: list[str], css_class: str) -> Markup:
    height += HEADING
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" viewBox="0 0 {WIDTH} {height}" '
            f'width="{WIDTH}" height="{height}" aria-label="{escape(title)}"><title>{escape(title)}</title>'
            f'<text x="0" y="15" font-family="sans-serif" font-size="14" font-weight="bold">{escape(title)}</text>'
            f'<g transform="translate(0,{HEADING})">')
    return Markup(head + "".join(body) + "</g></svg>")


def _empty(title: str, nothing: str) -> Markup:
    return _svg(title, 40, [f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" fill="#777" {FONT}>{escape(nothing)}</text>'],
                "chart-empty")


def bars(title: str, items: list[Bar], nothing: str = "no data") -> Markup:
    """One horizontal bar per item, longest value spanning the width."""
    if not items:
        return _empty(title, nothing)
    top = max(item.value for item in items) or 1
    span = WIDTH - LABEL - 90
    body = []
    for row, item in enumerate(items):
        y = row * ROW
        length = max(1.0, span * item.value / top) if item.value > 0 else 0.0
        body.append(
            f'<g class="bar"><text x="{LABEL - 6}" y="{y + 16}" text-anchor="end" {FONT}>{escape(item.label)}</text>'
            f'<rect x="{LABEL}" y="{y + 4}" width="{length:.1f}" height="{ROW - 8}" fill="{PALETTE[0]}"/>'
            f'<text x="{LABEL + length + 6:.1f}" y="{y + 16}" {FONT}>{escape(item.text)}</text></g>'
        )
    return _svg(title, len(items) * ROW + 4, body, "chart-bars")


def columns(title: str, labels: list[str], series: list[tuple[str, list[int]]], nothing: str = "no data",
            every: int = 1) -> Markup:
    """Stacked columns: one per label, one colour per series (with a legend when there are several).
    `every`: print every n-th label only (24 hours fit, 24 labels do not)."""
    totals = [sum(values[i] for _, values in series) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(title, nothing)
    legend = len(series) > 1
    plot_top, plot_height, left = (24 if legend else 8), 150, 36
    step = (WIDTH - left - 8) / len(labels)
    top = max(totals)
    body = [f'<line x1="{left}" y1="{plot_top + plot_height}" x2="{WIDTH - 8}" y2="{plot_top + plot_height}" stroke="#999"/>',
            f'<text x="{left - 4}" y="{plot_top + 10}" text-anchor="end" {FONT}>{top}</text>',
            f'<text x="{left - 4}" y="{plot_top + plot_height}" text-anchor="end" {FONT}>0</text>']
    if legend:
        x = left
        for number, (name, _) in enumerate(series):
            body.append(f'<rect x="{x}" y="4" width="10" height="10" fill="{PALETTE[number % len(PALETTE)]}"/>'
                        f'<text x="{x + 14}" y="13" {FONT}>{escape(name)}</text>')
            x += 24 + 7 * len(name)
    for index, label in enumerate(labels):
        x = left + index * step
        base = plot_top + plot_height
        parts = []
        for number, (name, values) in enumerate(series):
            height = plot_height * values[index] / top
            if height > 0:
                base -= height
                parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{base:.1f}" width="{step * 0.7:.1f}" height="{height:.1f}" '
                             f'fill="{PALETTE[number % len(PALETTE)]}"><title>{escape(label)} · {escape(name)}: {values[index]}</title></rect>')
        body.append(f'<g class="column">{"".join(parts)}</g>')
        if index % every == 0:
            body.append(f'<text x="{x + step / 2:.1f}" y="{plot_top + plot_height + 14}" text-anchor="middle" {FONT}>'
                        f'{escape(label)}</text>')
    return _svg(title, plot_top + plot_height + 22, body, "chart-columns")


TOP_LANGUAGES = 8


def stats_charts(stats: Stats, _: Callable[[str], str]) -> dict[str, Markup]:
    """The stats page's charts, by name; `_` translates their titles (the page's language)."""
    nothing = _("nothing in this period")

    def share(count: int, total: int) -> str:
        return f"{count} ({count / total:.0%})" if total else str(count)

    contained = stats.contained
    others = stats.conversations - contained
    response = [
        Bar(f"{who} · {which}", math.log1p(seconds), humanize(seconds))
        for who, durations in ((_("bot"), stats.bot_first_response), (_("agents"), stats.agent_first_response))
        for which, seconds in ((_("median"), durations.median), ("p90", durations.p90)) if seconds is not None
    ]
    languages = stats.by_language
    if len(languages) > TOP_LANGUAGES:
        languages = [*languages[:TOP_LANGUAGES - 1], (_("other"), sum(count for _l, count in languages[TOP_LANGUAGES - 1:]))]
    channels = [channel for channel, _m, _c in stats.by_channel]
    return {
        "containment": bars(_("Containment: conversations the bot answered without a person"), [
            Bar(_("bot alone"), contained, share(contained, stats.conversations)),
            Bar(_("a person or no answer"), others, share(others, stats.conversations)),
        ] if stats.conversations else [], nothing),
        "first_response": bars(_("First response time (log scale)"), response, nothing),
        "handoffs": bars(_("Handoffs by reason"), [Bar(reason, count, str(count)) for reason, count, _c in stats.handoffs], nothing),
        "channels": bars(_("Buyer messages by channel"),
                         [Bar(channel, count, share(count, stats.buyer_messages)) for channel, count, _c in stats.by_channel], nothing),
        "per_day": columns(_("Buyer messages per day, by channel"), [day.strftime("%m-%d") for day, _d in stats.per_day],
                           [(channel, [per.get(channel, 0) for _d, per in stats.per_day]) for channel in channels], nothing,
                           every=max(1, len(stats.per_day) // 12)),
        "languages": bars(_("Buyer messages by language"),
                          [Bar(language, count, share(count, stats.buyer_messages)) for language, count in languages], nothing),
        "hours": columns(_("Buyer messages by the hour of the buyer's day"), [f"{hour:02d}" for hour in range(24)],
                         [(_("messages"), stats.by_hour)], nothing, every=3),
    }
