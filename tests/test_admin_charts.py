"""The stats page's charts: SVG drawn on the server, bars in proportion, every label escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime, timezone

from bot.admin.charts import Bar, bars, columns, stats_charts
from bot.admin.stats import Durations, Stats

SVG = "{http://www.w3.org/2000/svg}"


def parsed(markup) -> ET.Element:
    return ET.fromstring(str(markup))  # well-formed XML, or this raises


def test_bars_are_in_proportion_and_labels_are_text():
    svg = parsed(bars("Handoffs", [Bar("requested", 4, "4"), Bar("<script>alert(1)</script>", 2, "2 & more")]))
    assert svg.get("role") == "img" and svg.find(f"{SVG}title").text == "Handoffs"
    widths = [float(rect.get("width")) for rect in svg.iter(f"{SVG}rect")]
    assert widths[0] == 2 * widths[1]
    texts = [t.text for t in svg.iter(f"{SVG}text")]
    assert "<script>alert(1)</script>" in texts and "2 & more" in texts  # as text, never as markup
    assert not list(svg.iter(f"{SVG}script"))
    assert "style=" not in str(bars("x", [Bar("a", 1, "1")]))  # attributes only: allowed by a strict CSP


def test_columns_stack_their_series_and_nothing_says_so():
    svg = parsed(columns("Per day", ["11-23", "11-24"], [("telegram", [3, 1]), ("email", [1, 0])]))
    groups = [g for g in svg.iter(f"{SVG}g") if g.get("class") == "column"]
    heights = [[float(r.get("height")) for r in g.iter(f"{SVG}rect")] for g in groups]
    assert heights[0][0] == 3 * heights[1][0] and len(heights[0]) == 2 and len(heights[1]) == 1
    assert [t.text for t in svg.iter(f"{SVG}text")][-2:] == ["11-23", "11-24"]
    empty = parsed(columns("Per day", ["11-23"], [("telegram", [0])], nothing="nothing in this period"))
    assert [t.text for t in empty.iter(f"{SVG}text")] == ["Per day", "nothing in this period"]  # the title, then why


def test_the_stats_page_gets_every_figure_as_a_chart_in_its_language():
    stats = Stats(
        since=None, buyer_messages=10, conversations=4, contained=3, by_channel=[("telegram", 7, 3), ("email", 3, 1)],
        by_language=[(code, 1) for code in ("en", "ru", "es", "pt", "de", "fr", "it", "pl", "tr", "ar")],
        handoffs=[("requested", 1, 1)], bot_first_response=Durations((2.0, 4.0)), agent_first_response=Durations((600.0,)),
        per_day=[(date(2026, 11, 23), {"telegram": 7, "email": 3})], by_hour=[0] * 21 + [10, 0, 0],
    )
    chinese = {"Handoffs by reason": "按原因转人工", "other": "其他"}
    charts = stats_charts(stats, lambda text: chinese.get(text, text))
    assert set(charts) == {"containment", "first_response", "handoffs", "channels", "per_day", "languages", "hours"}
    for chart in charts.values():
        parsed(chart)
    assert parsed(charts["handoffs"]).find(f"{SVG}title").text == "按原因转人工"
    assert "3 (75%)" in str(charts["containment"])
    response = [t.text for t in parsed(charts["first_response"]).iter(f"{SVG}text")][1:]  # after the title
    assert response == ["bot · median", "3 s", "bot · p90", "4 s", "agents · median", "10 min", "agents · p90", "10 min"]
    languages = [t.text for t in parsed(charts["languages"]).iter(f"{SVG}text")][1::2]
    assert languages == ["en", "ru", "es", "pt", "de", "fr", "it", "其他"]  # the eight largest, the rest together
    hours = [float(r.get("height")) for r in parsed(charts["hours"]).iter(f"{SVG}rect")]
    assert len(hours) == 1 and hours[0] > 0  # one column: 21:00 in the buyers' day
    assert "nothing in this period" in str(stats_charts(Stats(since=datetime(2026, 1, 1, tzinfo=timezone.utc)), str)["hours"])
