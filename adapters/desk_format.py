"""What the agent desks show, as plain text, so Slack and Telegram agents read the same thing.

Every buyer line carries the agent-language translation under the original
(../shared/domain.md, "Translation rules"); every card ends with the culture
note for the buyer's likely country. Formatting for a service (escaping,
buttons) stays in that service's desk module.
"""

from __future__ import annotations

from functools import lru_cache

from bot.conversation import handoff
from bot.desk.actions import Card, Sent
from bot.message import Reply
from bot.store.views import Conversation
from bot.language.translate import base

MAX_LINE = 280  # one message on a card, so a card fits in one chat message; !original shows it all

REASONS = {
    handoff.REQUESTED: "the buyer asked for a person",
    handoff.INTENT: "the question needs a person (product knowledge or judgement)",
    handoff.DISPUTE: "dispute or chargeback: answer first",
    handoff.NO_MATCH: "the bot could not answer",
    handoff.ANGRY: "the buyer seems upset",
    handoff.KEY_CUSTOMER: "key customer",
    handoff.UNREADABLE: "a photo, sticker, voice message or file the bot cannot read",
    handoff.ERROR: "the bot failed on a message: please look",
    handoff.CUSTOMS_REVIEW: "import tax for a destination whose customs facts are missing or need review (kefu customs check)",
}
CHANNELS = {"telegram": "Telegram", "slack": "Slack", "email": "e-mail", "console": "console"}
SPEAKERS = {"in": "👤", "out": "🤖", "agent": "🧑‍💼", "note": "📝"}  # note: a colleague's letter in the thread
ARROW = "   ↳ "  # the agent-language translation, under the original

COMMANDS = (
    ("claim", "", "take this conversation (the buyer is told a person joined)"),
    ("release", "", "give it back to the bot (the buyer is told)"),
    ("close", "", "done: back to the bot, nothing sent to the buyer"),
    ("assign", " NAME", "give it to another agent"),
    ("original", "", "the buyer's last message exactly as written"),
    ("raw", " TEXT", "send TEXT to the buyer without translation"),
    ("help", "", "this list"),
)


@lru_cache(maxsize=8)
def _locale(language: str):  # type: ignore[no-untyped-def]
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(base(language).replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def language_name(code: str, agent_language: str = "en") -> str:
    """"Russian (ru)" in the agent's language; the bare code when babel does not know it."""
    name = _locale(agent_language).languages.get(base(code).split("-")[0])
    return f"{name} ({code})" if name else code


def country_name(code: str, agent_language: str = "en") -> str:
    return _locale(agent_language).territories.get(code) or code


def clip(text: str, limit: int = MAX_LINE) -> str:
    text = text.strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def buyer_label(conversation: Conversation) -> str:
    name = conversation.buyer_name
    who = f"{name} ({conversation.buyer})" if name and name != conversation.buyer else conversation.buyer
    return f"{who} on {CHANNELS.get(conversation.channel, conversation.channel)}"


def status(conversation: Conversation) -> str:
    if conversation.state == "held":
        return f"claimed by {conversation.agent}" if conversation.agent else "held by an agent"
    if conversation.state == "waiting":
        return "waiting for an agent"
    return "with the bot"


def topic_name(conversation: Conversation) -> str:
    """A Telegram topic title (1–128 characters): who, where, which language."""
    who = conversation.buyer_name or conversation.buyer
    where = CHANNELS.get(conversation.channel, conversation.channel)
    return clip(f"{who} · {where} · {conversation.language or '?'}", 128)


def card_text(card: Card, agent_language: str = "en") -> str:
    """The card an agent sees first: who, why, where and when, the last messages, the culture note."""
    conversation = card.conversation
    lines = [
        f"🙋 {buyer_label(conversation)}: {status(conversation)}",
        f"Reason: {REASONS.get(card.reason or '', card.reason or 'not recorded')}",
        _whereabouts(card, agent_language),
        "",
        "Last messages:" if card.lines else "No messages yet.",
    ]
    for line in card.lines:
        lines.append(f"{SPEAKERS.get(line.direction, '·')} {clip(line.original) or '(no text)'}")
        if line.translated:
            lines.append(ARROW + clip(line.translated))
    lines += ["", culture_text(card, agent_language)]
    return "\n".join(lines)


def _whereabouts(card: Card, agent_language: str) -> str:
    parts = [f"Language: {language_name(card.language, agent_language)}"]
    if card.country:
        likely = "" if card.country_certain else "likely "
        parts.append(f"{likely}in {country_name(card.country, agent_language)}")
    if card.local_time:
        parts.append(f"their time: {card.local_time}")
    return " · ".join(parts)


def culture_text(card: Card, agent_language: str = "en") -> str:
    note = card.culture
    if note is None:
        where = country_name(card.country, agent_language) if card.country else "this buyer's country"
        return f"🌍 No culture note for {where}."
    text = f"🌍 Culture note, {note.name} ({note.time}): {note.notes}"
    if note.avoid:
        text += f" Avoid: {', '.join(note.avoid)}."
    return text


def buyer_message(text: str, translated: str | None, language: str) -> str:
    """A later buyer message in the desk thread: the original, the translation under it."""
    lines = [f"👤 Buyer ({language}): {text.strip() or '(no text: a photo, sticker, voice message or file)'}"]
    if translated:
        lines.append(ARROW + translated)
    return "\n".join(lines)


def bot_answered(reply: Reply) -> str:
    about = f"“{reply.intent}”" if reply.intent else "no matching question"
    return f"🤖 kefu answered the buyer ({about})"


def sent(result: Sent, translated: bool = True) -> str:
    how = result.language if translated else f"{result.language}, as written"
    return f"→ sent to buyer ({how}): {result.text}"


def held_back(result: Sent) -> str:
    lines = ["⚠️ Not sent yet. Check this first:"]
    lines += [f"• {warning}" for warning in result.warnings]
    lines.append(f"Your reply: {result.original}")
    if result.held and result.held != result.original:
        lines.append(f"It would go out as ({result.language}): {result.held}")
    lines.append("Press “Send anyway” to send it as it is, or write a new reply.")
    return "\n".join(lines)


def claimed(agent: str) -> str:
    return f"✋ {agent} took this conversation; the buyer was told a person joined."


def released(agent: str) -> str:
    return f"↩️ {agent} gave this conversation back to the bot; the buyer was told."


def closed(agent: str) -> str:
    return f"✅ {agent} closed this conversation; the bot answers the buyer again."


def released_idle(minutes: int) -> str:
    return f"⏲️ Nobody answered for {minutes} minutes: the conversation went back to the bot, and the buyer was told."


def assigned(agent: str, to: str) -> str:
    return f"👉 {agent} assigned this conversation to {to}."


def original(text: str | None, language: str | None) -> str:
    if text is None:
        return "The buyer has not written anything yet."
    return f"The buyer's last message ({language or '?'}), exactly as written:\n{text or '(no text)'}"


def handed_off_again(card: Card) -> str:
    return f"🔁 Handed to people again: {REASONS.get(card.reason or '', card.reason or 'not recorded')}"


def card_refused(why: str, prefix: str) -> str:
    return (f"⚠️ Slack refused this card's buttons ({why}), so it is shown as plain text. "
            f"Use {prefix}claim, {prefix}release and {prefix}close in this thread instead.")


def help_text(prefix: str) -> str:
    lines = ["Write here to answer the buyer: kefu translates your reply into their language.", "Commands:"]
    lines += [f"{prefix}{name}{arg} — {what}" for name, arg, what in COMMANDS]
    return "\n".join(lines)
