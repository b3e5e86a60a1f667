"""Rich views of what the admin commands compute: findings, matches, evaluations, misses, stats.

Each function takes a result and returns renderables (or prints lines that must
stay whole, such as file:line findings and command lines to copy).
"""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from bot.admin.evaluation import Report
from bot.admin.findings import ERROR, Finding
from bot.admin.misses import MissGroup
from bot.admin.stats import Stats, humanize
from bot.conversation.decide import Decision
from bot.conversation.understand import Understanding
from intents.matcher import EXACT, Match

SEVERITY_STYLE = {ERROR: "bold red", "warning": "yellow"}


def print_finding(console: Console, finding: Finding) -> None:
    """One finding, one line (never wrapped), so it stays greppable and clickable."""
    line = Text.assemble((f"{finding.severity}:", SEVERITY_STYLE.get(finding.severity, "")), " ", str(finding))
    console.print(line, soft_wrap=True, highlight=False)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


# -- kefu intents test -------------------------------------------------------------


def decision(match: Match) -> str:
    """Why the matcher chose what it chose, in one sentence."""
    best = match.best
    if best is None:
        return "no intent: nothing left to match after normalisation"
    if match.intent is None and match.out_of_scope >= 1.0 and best.score < 100:
        return "no intent: the text is an out_of_scope example"
    if match.intent is None and match.out_of_scope_at_its_limit:
        return f"no intent: out-of-scope probability {match.out_of_scope:.2f} ≥ {match.oos_probability:.2f} (a person takes it)"
    if match.intent is None:
        return f"no intent: best score {best.score:.1f} is below the threshold {match.threshold:g} (a person takes it)"
    if match.near_exact and best.fuzzy >= EXACT:
        return f"{match.intent}: near-exact example {best.example!r} (similarity {best.fuzzy:.0f})"
    return (f"{match.intent}: score {best.score:.1f} ≥ threshold {match.threshold:g}, "
            f"out-of-scope {match.out_of_scope:.2f} < {match.oos_probability:.2f}")


def match_table(title: str, match: Match) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("intent")
    table.add_column("score", justify="right")
    table.add_column("model", justify="right")
    table.add_column("fuzzy", justify="right")
    table.add_column("nearest example")
    for rank, candidate in enumerate(match.candidates, 1):
        chosen = "bold green" if candidate.intent == match.intent else ""
        table.add_row(
            str(rank), Text(candidate.intent, style=chosen), f"{candidate.score:.1f}", f"{candidate.probability:.2f}",
            "·" if candidate.fuzzy is None else f"{candidate.fuzzy:.0f}", candidate.example or "",
        )
    return table


def _explained(title: str, match: Match) -> Group:
    return Group(match_table(title, match), Text("→ " + decision(match)))


def probe_view(text: str, understood: Understanding, decided: Decision, pivot: Match, original: Match) -> RenderableType:
    decisive = understood.match  # the reading (or the two combined) the bot decided on, with its limits
    head = Text.assemble(
        ("language ", "dim"), understood.language, ("   threshold ", "dim"), f"{decisive.threshold:g}",
        ("   out-of-scope probability ", "dim"), f"{decisive.out_of_scope:.2f}",
        ("   (read natively)", "dim") if decisive.native else "",
    )
    outcome = f"a person takes it ({decided.reason})" if decided.reason else "asks to rephrase" if decided.intent is None else "answers"
    decides = Text.assemble(("the bot decides: ", "dim"), (decided.intent or "no intent", "bold"), f" — {outcome}")
    parts: list[RenderableType] = [head, decides]
    if "translation_failed" in understood.flags:
        parts.append(Text("no translation available: the pivot is the original text", style="yellow"))
    if understood.pivot == text:
        parts.append(_explained(f"text (the pivot is the text itself): {text}", pivot))
    else:
        parts.append(_explained(f"pivot (English): {understood.pivot}", pivot))
        parts.append(_explained(f"original ({understood.language}): {text}", original))
    return Group(*parts)


# -- kefu eval -------------------------------------------------------------------------


def eval_view(report: Report, source: str) -> RenderableType:
    rejected = _pct(report.oos_rejection) if report.out_of_scope else "— (no out_of_scope rows)"
    head = Text.assemble(
        (source, "bold"), f"\n{report.in_scope} in-scope rows, {report.out_of_scope} out-of-scope rows\n",
        "top-1 accuracy ", (_pct(report.accuracy), "bold"), " · out-of-scope rejected ", (rejected, "bold"),
        f"\nlimits: threshold {report.threshold:g}, out-of-scope probability {report.oos_probability:g}",
        (f"; read natively {report.native_threshold:g}, {report.native_oos_probability:g}"
         if (report.native_threshold, report.native_oos_probability) != (report.threshold, report.oos_probability) else ""),
    )
    per_intent = Table(title="Per intent", title_justify="left")
    for name, justify in (("intent", "left"), ("precision", "right"), ("recall", "right"), ("rows", "right")):
        per_intent.add_column(name, justify=justify)
    for score in sorted(report.per_intent, key=lambda s: (s.recall, s.precision, s.intent)):
        style = "red" if min(score.precision, score.recall) < 0.8 else ""
        per_intent.add_row(score.intent, _pct(score.precision), _pct(score.recall), str(score.support), style=style)
    parts: list[RenderableType] = [head, per_intent]
    if len(report.per_language) > 1:
        per_language = Table(title="Per language", title_justify="left")
        for name, justify in (("language", "left"), ("rows", "right"), ("top-1", "right"), ("oos rejected", "right"),
                              ("wrong answers", "right")):
            per_language.add_column(name, justify=justify)
        for score in report.per_language:
            per_language.add_row(score.language, str(score.rows), _pct(score.accuracy), _pct(score.oos_rejection),
                                 _pct(score.wrong), style="red" if score.accuracy < 0.85 or score.wrong > 0.03 else "")
        parts.append(per_language)
    if report.confusions:
        confusions = Table(title="Most confused (expected → chosen)", title_justify="left")
        for name, justify in (("expected", "left"), ("chosen", "left"), ("rows", "right")):
            confusions.add_column(name, justify=justify)
        for expected, predicted, count in report.confusions:
            confusions.add_row(expected, predicted, str(count))
        parts.append(confusions)
    sweep = Table(title=f"Threshold sweep (out-of-scope probability {report.oos_probability:g})", title_justify="left")
    for name in ("threshold", "accuracy", "oos rejected", ""):
        sweep.add_column(name, justify="right")
    for threshold, accuracy, rejection in report.sweep:
        marks = [m for m, on in (("current", threshold == report.threshold), ("recommended", threshold == report.recommended)) if on]
        sweep.add_row(f"{threshold:g}", _pct(accuracy), _pct(rejection), ", ".join(marks),
                      style="bold green" if threshold == report.recommended else "")
    parts.append(sweep)
    parts.append(Text(f"threshold {report.threshold:g} and out-of-scope probability {report.oos_probability:g} now; "
                      f"threshold {report.recommended:g} recommended (best accuracy + rejection)"))
    if report.tuned is not None:
        parts.append(Text(f"tuned on these rows and stored with the model: threshold {report.tuned.threshold:g}, "
                          f"out-of-scope probability {report.tuned.oos_probability:g}", style="bold"))
    if report.unknown_labels:
        parts.append(Text(f"warning: labels not in the intent lists (always counted wrong): {', '.join(report.unknown_labels)}",
                          style="yellow"))
    return Group(*parts)


# -- kefu misses -----------------------------------------------------------------------


def print_misses(console: Console, groups: list[MissGroup], limit: int) -> None:
    total = sum(group.count for group in groups)
    console.print(f"[bold]{total}[/] unanswered buyer messages in [bold]{len(groups)}[/] groups, most frequent first:")
    for rank, group in enumerate(groups[:limit], 1):
        languages = ", ".join(f"{language} {count}" for language, count in group.languages)
        guess = f"best guess {group.guess} ({group.guess_score:.0f})" if group.guess else "no guess"
        console.print()
        console.print(Text.assemble(
            (f"{rank:>2}. ", "bold"), (f"{group.count}×  ", "bold cyan"), group.representative,
            ("   languages: ", "dim"), languages, ("   ", ""), (guess, "dim"),
        ), soft_wrap=True, highlight=False)
        if group.pivot:
            console.print(Text.assemble(("    English: ", "dim"), group.pivot), soft_wrap=True, highlight=False)
        if group.variants:
            shown = "; ".join(group.variants[:3]) + (f" (+{len(group.variants) - 3} more)" if len(group.variants) > 3 else "")
            console.print(Text.assemble(("    also: ", "dim"), shown), soft_wrap=True, highlight=False)
        if group.answered:
            console.print(Text(f"    the current lists answer this now: {group.answered}", style="dim"), soft_wrap=True)
        console.print(Text("    " + group.command(), style="green"), soft_wrap=True, highlight=False)
    if len(groups) > limit:
        more = len(groups) - limit
        console.print(f"\n… and {more} smaller group{'s' if more > 1 else ''} (--limit {len(groups)} shows all)", highlight=False)


# -- kefu stats ------------------------------------------------------------------------


def _table(title: str, *columns: str) -> Table:
    table = Table(title=title, title_justify="left")
    for i, name in enumerate(columns):
        table.add_column(name, justify="left" if i == 0 else "right")
    return table


def stats_view(stats: Stats) -> RenderableType:
    period = f"since {stats.since:%Y-%m-%d %H:%M} UTC" if stats.since else "all time"
    head = Text.assemble(
        (period, "bold"), f"\nbuyer messages {stats.buyer_messages} · bot replies {stats.bot_messages} · "
        f"agent replies {stats.agent_messages} · conversations {stats.conversations}",
    )
    channels = _table("By channel", "channel", "buyer messages", "conversations")
    for channel, messages, conversations in stats.by_channel:
        channels.add_row(channel, str(messages), str(conversations))
    languages = _table("By language", "language", "buyer messages", "share")
    for language, count in stats.by_language:
        languages.add_row(language, str(count), _pct(count / stats.buyer_messages))
    outcome = _table("Outcome", "measure", "value")
    outcome.add_row("containment (answered without a person)",
                    f"{_pct(stats.containment)} ({stats.contained} of {stats.conversations})")
    outcome.add_row("buyer messages out of hours", f"{_pct(stats.out_of_hours_share)} ({stats.out_of_hours})")
    outcome.add_row("away notices sent", str(stats.away_notices))
    handoffs = _table("Handoffs by reason", "reason", "bot replies", "conversations")
    for reason, replies, conversations in stats.handoffs:
        handoffs.add_row(reason, str(replies), str(conversations))
    if not stats.handoffs:
        handoffs.add_row("(none)", "0", "0")
    response = _table("First response (buyer's first message → first reply)", "by", "conversations", "median", "p90")
    for who, durations in (("bot", stats.bot_first_response), ("agents", stats.agent_first_response)):
        response.add_row(who, str(durations.count), humanize(durations.median), humanize(durations.p90))
    if not stats.agent_first_response.count:
        response.caption = "no agent replies in this period"
        response.caption_justify = "left"
    return Group(head, channels, languages, outcome, handoffs, response)
