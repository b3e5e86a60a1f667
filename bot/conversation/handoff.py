"""When a chat goes to a person, and why (rules from ../shared/domain.md).

The reason is recorded with the conversation; agents and `kefu stats` read it.
"""

from __future__ import annotations

import re

from intents.normalize import normalize

REQUESTED = "requested"  # the buyer asked for a person
INTENT = "intent"  # the intent needs product knowledge or judgement
DISPUTE = "dispute"  # a dispute or chargeback: goes to the front of the queue
NO_MATCH = "no_match"  # out of scope, or nothing matched twice in a row
ANGRY = "angry"
KEY_CUSTOMER = "key_customer"
UNREADABLE = "unreadable"  # a photo, sticker, voice message or file
ERROR = "error"  # processing failed: a person must look
PRIVACY = "privacy"  # the buyer asks to erase (or see) their personal data: a person runs `kefu forget`
CUSTOMS_REVIEW = "customs_review"  # customs facts for the destination are missing or flagged for review

PRIORITY_REASONS = {DISPUTE, KEY_CUSTOMER}
SELF_TOLD = {UNREADABLE, CUSTOMS_REVIEW}  # the reply already says a person takes over

# Insults and threats, in the buyer languages we see most; matched on the
# original and on the English pivot, after normalisation (accents stripped).
_ANGRY_WORDS = [p.strip() for p in """
scam, scammer, scammers, fraud, fraudster, cheat, cheater, cheated, cheating, liar, liars, lying, thief, thieves,
robbed, rip off, ripoff, idiot, idiots, stupid, useless, incompetent, pathetic, disgusting, worst shop, shit,
bullshit, crap, fuck, fucking, fucked, wtf, chargeback, my lawyer, sue you, call the police, report you,
bad review, negative feedback, open a dispute, opening a dispute, file a claim,
estafa, estafadores, ladron, ladrones, mentirosos, fraude, basura, denuncia,
golpe, golpista, golpistas, ladroes, mentiroso, lixo, procon,
arnaque, escroc, escrocs, voleurs, menteurs,
betrug, betruger, lugner, abzocke, scheisse, anzeige,
мошенник, мошенники, обман, обманщики, воры, развод, жалоба, суд, позор,
oszust, oszusci, oszustwo, zlodzieje,
dolandirici, dolandiricilar, sahtekar, rezalet,
احتيال, نصاب, نصابين, حرامي
""".replace("\n", " ").split(",") if p.strip()]
_UNSPACED = ("詐欺", "騙子", "骗子", "诈骗", "垃圾", "사기", "ペテン")  # scripts written without spaces
_ANGRY_PHRASES = {w for w in (normalize(x) for x in _ANGRY_WORDS) if w}
_MULTI = sorted((p for p in _ANGRY_PHRASES if " " in p), key=len, reverse=True)
_SHOUT_MIN_LETTERS = 12
_LETTER = re.compile(r"[^\W\d_]")


def is_shouting(text: str) -> bool:
    """Mostly capitals over a real length (not "OK" or "DHL")."""
    letters = _LETTER.findall(text[:2000])
    cased = [c for c in letters if c.isupper() or c.islower()]
    if len(cased) < _SHOUT_MIN_LETTERS:
        return False
    return sum(c.isupper() for c in cased) / len(cased) >= 0.7


def has_angry_words(*texts: str) -> bool:
    for text in texts:
        normalized = normalize(text)
        words = set(normalized.split())
        if words & _ANGRY_PHRASES:
            return True
        padded = f" {normalized} "
        if any(f" {phrase} " in padded for phrase in _MULTI):
            return True
        if any(word in text for word in _UNSPACED):
            return True
    return False


def is_angry(original: str, pivot: str) -> bool:
    return is_shouting(original) or has_angry_words(original, pivot)
