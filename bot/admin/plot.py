"""`kefu stats --plot FILE.png`: the same figures as the tables, as four panels.

Drawn on a bare matplotlib Figure with the Agg canvas: no pyplot, no display,
no global backend state, so it works on a server and inside tests.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from bot.admin.stats import Stats, humanize

TOP_LANGUAGES = 8


def plot_stats(stats: Stats, path: Path) -> None:
    figure = Figure(figsize=(12, 8), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    period = f"since {stats.since:%Y-%m-%d %H:%M} UTC" if stats.since else "all time"
    containment = f"{stats.containment:.0%}" if stats.containment is not None else "—"
    away = f"{stats.out_of_hours_share:.0%}" if stats.out_of_hours_share is not None else "—"
    figure.suptitle(
        f"kefu — {period}: {stats.buyer_messages} buyer messages in {stats.conversations} conversations, "
        f"containment {containment}, out of hours {away}", fontsize=13,
    )
    days, languages, handoffs, response = figure.subplots(2, 2).flat
    _per_day(days, stats)
    _bars(languages, "Buyer messages by language", _top(stats.by_language))
    _bars(handoffs, "Handoffs by reason (bot replies)", [(reason, count) for reason, count, _ in stats.handoffs])
    _response(response, stats)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)


def _top(items: list[tuple[str, int]]) -> list[tuple[str, int]]:
    if len(items) <= TOP_LANGUAGES:
        return items
    rest = sum(count for _, count in items[TOP_LANGUAGES - 1:])
    return [*items[: TOP_LANGUAGES - 1], ("other", rest)]


def _empty(axes, title: str) -> None:
    axes.set_title(title)
    axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes, color="grey")
    axes.set_axis_off()


def _per_day(axes, stats: Stats) -> None:
    title = "Buyer messages per day, by channel"
    if not stats.per_day:
        return _empty(axes, title)
    channels = [channel for channel, _, _ in stats.by_channel]
    labels = [day.strftime("%m-%d") for day, _ in stats.per_day]
    bottom = [0] * len(labels)
    for channel in channels:
        counts = [per.get(channel, 0) for _, per in stats.per_day]
        axes.bar(labels, counts, bottom=bottom, label=channel)
        bottom = [b + c for b, c in zip(bottom, counts)]
    axes.set_title(title)
    axes.set_ylabel("messages")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(y=0.15)
    axes.legend(loc="upper left", fontsize="small", ncols=max(1, len(channels)))
    axes.tick_params(axis="x", labelrotation=45)


def _bars(axes, title: str, items: list[tuple[str, int]]) -> None:
    if not items:
        return _empty(axes, title)
    names = [name for name, _ in items][::-1]  # largest on top
    counts = [count for _, count in items][::-1]
    bars = axes.barh(names, counts, color="tab:blue")
    axes.bar_label(bars, padding=3)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(title)
    axes.margins(x=0.15)


def _response(axes, stats: Stats) -> None:
    title = "First response time (median, p90)"
    rows = [(who, d) for who, d in (("bot", stats.bot_first_response), ("agents", stats.agent_first_response)) if d.count]
    if not rows:
        return _empty(axes, title)
    names = [f"{who} (n={d.count})" for who, d in rows]
    for offset, (label, value) in enumerate((("median", lambda d: d.median), ("p90", lambda d: d.p90))):
        values = [max(value(d), 0.5) for _, d in rows]  # a log axis has no zero: half a second stands for "instant"
        positions = [i + offset * 0.4 for i in range(len(rows))]
        bars = axes.bar(positions, values, width=0.4, label=label)
        axes.bar_label(bars, labels=[humanize(value(d)) for _, d in rows], padding=2, fontsize="small")
    axes.set_xticks([i + 0.2 for i in range(len(rows))], names)
    axes.set_yscale("log")
    axes.set_ylim(top=max(max(d.p90 or 0.5, 0.5) for _, d in rows) * 5)  # room for the labels
    axes.set_ylabel("seconds (log scale)")
    axes.set_title(title)
    axes.legend(fontsize="small")
