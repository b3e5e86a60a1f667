"""Who wrote this mail: a buyer (answer it), a colleague (keep it as a note), or a machine (keep it, never answer).

One decision per mail, with the reason, before the pipeline sees anything.
Answering a machine is how mail loops start (two auto-responders answering
each other), how a scammer behind a spam verdict gets a reply, and how a
marketplace's "you have a new message" notice gets a letter nobody reads.
RFC 3834 says how automatic mail should mark itself; much of it does not, so
the senders, the sending services and the words in the body count too (see
`words.py`). The per-sender limit (`ReplyLimiter`) is the last fence, for
loops nothing reveals.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from adapters.email import words
from adapters.email.parse import ParsedMail

BUYER = "buyer"
COLLEAGUE = "colleague"
# What a machine's mail is; each is a reason never to answer.
SPAM, BOUNCE, AUTO_REPLY, LIST, NOTIFICATION, NO_REPLY, OWN = (
    "spam", "bounce", "auto-reply", "list", "notification", "no-reply", "own",
)
MACHINES = (SPAM, BOUNCE, AUTO_REPLY, LIST, NOTIFICATION, NO_REPLY, OWN)
_BULK = {"bulk", "list", "junk", "auto_reply"}
_SCORE = re.compile(r"(?:score=|^)\s*(-?\d+(?:[.,]\d+)?)", re.IGNORECASE)


@dataclass(frozen=True)
class MailRules:
    """What the classifier must know about the shop (from `EmailSettings`)."""

    address: str  # the shop's own address
    domains: tuple[str, ...] = ()  # the shop's own domains: mail from them is a colleague's (default: the address's)
    spam_header: str = "X-Spam-Score"  # a spam filter's score header, e.g. X-Rspamd-Score
    spam_threshold: float = 5.0  # at or above this score a mail is spam

    def own_domains(self) -> tuple[str, ...]:
        """The configured domains, else the address's; a public mail provider's domain never counts."""
        domains = tuple(d.lower().lstrip("@") for d in self.domains) or (self.address.rpartition("@")[2].lower(),)
        return tuple(d for d in domains if d and d not in words.FREE_PROVIDERS)


@dataclass(frozen=True)
class Verdict:
    kind: str  # BUYER, COLLEAGUE or one of MACHINES
    reason: str

    @property
    def answer(self) -> bool:
        return self.kind == BUYER

    @property
    def machine(self) -> bool:
        return self.kind in MACHINES


def classify(mail: ParsedMail, rules: MailRules, own_text: str | None = None) -> Verdict:
    """The one decision about `mail`. `own_text` is the mail's text without quoted history (where a
    "do not reply" line counts); the whole body when not given."""
    for check in (_spam, _bounce, _auto_reply, _own):
        verdict = check(mail, rules)
        if verdict:
            return verdict
    verdict = _notification(mail, mail.full_text if own_text is None else own_text) or _list(mail) or _no_reply(mail)
    if verdict:
        return verdict
    internal = _internal(mail, rules)
    if internal:
        return Verdict(COLLEAGUE, internal)
    return Verdict(BUYER, "written by a person outside the shop")


def _spam(mail: ParsedMail, rules: MailRules) -> Verdict | None:
    if mail.header("X-Spam-Flag").upper().startswith("YES"):
        return Verdict(SPAM, "spam filter verdict (X-Spam-Flag: YES)")
    if re.match(r"\s*yes\b", mail.header("X-Spam-Status"), re.IGNORECASE):
        return Verdict(SPAM, "spam filter verdict (X-Spam-Status: Yes)")
    if mail.header("X-Spam").lower() in ("yes", "true"):  # rspamd's milter header
        return Verdict(SPAM, "spam filter verdict (X-Spam: yes)")
    scl = mail.header("X-MS-Exchange-Organization-SCL")
    if re.fullmatch(r"[5-9]", scl):  # Exchange's spam confidence level: 5 and above is junk
        return Verdict(SPAM, f"spam filter verdict (X-MS-Exchange-Organization-SCL: {scl})")
    if rules.spam_header:
        found = _SCORE.search(mail.header(rules.spam_header))
        if found and float(found.group(1).replace(",", ".")) >= rules.spam_threshold:
            return Verdict(SPAM, f"spam score {found.group(1)} ≥ {rules.spam_threshold:g} ({rules.spam_header})")
    return None


def _bounce(mail: ParsedMail, rules: MailRules) -> Verdict | None:
    if mail.message.get_content_type() == "multipart/report":
        return Verdict(BOUNCE, "delivery or read report (multipart/report)")
    if mail.header("Return-Path").replace(" ", "") == "<>":
        return Verdict(BOUNCE, "bounce (empty Return-Path)")
    if _normal(mail.sender.partition("@")[0]) in words.SYSTEM_SENDERS:
        return Verdict(BOUNCE, f"mail system sender ({mail.sender})")
    if mail.header("X-Failed-Recipients"):
        return Verdict(BOUNCE, "bounce (X-Failed-Recipients)")
    return None


def _auto_reply(mail: ParsedMail, rules: MailRules) -> Verdict | None:
    auto = mail.header("Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return Verdict(AUTO_REPLY, f"Auto-Submitted: {auto} (RFC 3834)")
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress"):
        value = mail.header(name)
        if value:
            return Verdict(AUTO_REPLY, f"auto-responder header ({name}: {value[:40]})")
    if mail.header("Precedence").lower() == "auto_reply":
        return Verdict(AUTO_REPLY, "Precedence: auto_reply")
    if words.AUTO_SUBJECT.match(_unprefixed(mail.subject)):
        return Verdict(AUTO_REPLY, f"automatic subject ({mail.subject[:60]})")
    return None


def _own(mail: ParsedMail, rules: MailRules) -> Verdict | None:
    address = rules.address.lower()
    if address and mail.sender == address:
        return Verdict(OWN, "sent from the shop's own address")
    # answers would go to ourselves: a loop (a colleague who sets Reply-To to the shop is still a colleague)
    if address and mail.reply_to == address and not _internal(mail, rules):
        return Verdict(OWN, "Reply-To is the shop's own address")
    return None


def _notification(mail: ParsedMail, own_text: str) -> Verdict | None:
    for name, _ in mail.message.items():
        if name.lower().startswith(words.MARKETPLACE_HEADER_PREFIXES):
            return Verdict(NOTIFICATION, f"marketplace notice ({name} header)")
    for name in words.SENDER_SERVICE_HEADERS:
        if mail.header(name):
            return Verdict(NOTIFICATION, f"sent by a mailing service ({name} header)")
    for address in (mail.sender, mail.reply_to):
        local, _, domain = address.partition("@")
        labels = domain.split(".")
        for brand in labels[:-1]:  # the name, not the country or generic ending
            notices = words.MARKETPLACE_SENDERS.get(brand)
            if notices is not None and (notices == "*" or local in notices):
                return Verdict(NOTIFICATION, f"marketplace or platform notice sender ({address})")
        if len(labels) >= 3 and labels[0] in words.NOTICE_SUBDOMAINS:
            return Verdict(NOTIFICATION, f"notice sending domain ({domain})")
        if _normal(local) in words.NOTICE_LOCALS:
            return Verdict(NOTIFICATION, f"notice sender ({address})")
    return_path = mail.header("Return-Path").strip("<> ").lower()
    # A forwarding mailbox rewrites every return path (Gmail's "+caf_=", SRS): that says nothing about the sender.
    forwarded = "+caf_=" in return_path or return_path.startswith(("srs0=", "srs1="))
    if return_path and return_path not in (mail.sender, mail.reply_to) and not forwarded:
        if words.VERP_RETURN_PATH.search(return_path.partition("@")[0]):
            return Verdict(NOTIFICATION, f"bulk sender's return path ({return_path[:60]})")
    found = words.DO_NOT_REPLY.search(own_text)
    if found:
        return Verdict(NOTIFICATION, f"\"do not reply\" in the body ({found.group(0)[:40]})")
    return None


def _list(mail: ParsedMail) -> Verdict | None:
    precedence = mail.header("Precedence").lower()
    if precedence in _BULK:
        return Verdict(LIST, f"Precedence: {precedence}")
    for name in ("List-Id", "List-Unsubscribe", "List-Post", "List-Help", "X-Mailing-List"):
        if mail.header(name):
            return Verdict(LIST, f"mailing list or newsletter ({name})")
    return None


def _no_reply(mail: ParsedMail) -> Verdict | None:
    if not mail.sender:
        return Verdict(NO_REPLY, "no sender address")
    for address in dict.fromkeys((mail.sender, mail.reply_to, mail.header("Sender").strip("<> ").lower())):
        local = _normal(address.partition("@")[0])
        if local and any(stem in local for stem in words.NO_REPLY_STEMS):
            return Verdict(NO_REPLY, f"sender cannot receive answers ({address})")
    if mail.sender_name and _normal(mail.sender_name) in ("noreply", "donotreply"):
        return Verdict(NO_REPLY, f"sender cannot receive answers ({mail.sender_name})")
    return None


def _internal(mail: ParsedMail, rules: MailRules) -> str | None:
    domains = rules.own_domains()
    domain = mail.sender.rpartition("@")[2]
    if _within(domain, domains):
        return f"a colleague at the shop's own domain ({mail.sender})"
    id_domain = (mail.message_id or "").strip("<>").rpartition("@")[2].lower()
    if id_domain and _within(id_domain, domains):
        return f"written on the shop's own mail server (Message-ID at {id_domain})"
    return None


def _within(domain: str, domains: tuple[str, ...]) -> bool:
    return any(domain == own or domain.endswith("." + own) for own in domains if own)


def _normal(local: str) -> str:
    return re.sub(r"[-_.+\s]", "", local.lower())


def _unprefixed(subject: str) -> str:
    """"Automatic reply" may come after the subject's own prefixes ("[Ticket] AW: Automatische Antwort: …")."""
    return re.sub(r"^\s*(\[[^\]]*\]\s*)*((re|aw|fw|fwd|wg|sv|tr)\s*:\s*)*", "", subject, flags=re.IGNORECASE)


class ReplyLimiter:
    """At most `per_hour` answers to one sender in any sliding hour.

    Kept in memory: a restart forgets it, which at worst allows one more
    hour's worth of answers.
    """

    def __init__(self, per_hour: int, clock: Callable[[], datetime]) -> None:
        self.per_hour, self.clock = per_hour, clock
        self.sent: dict[str, deque[datetime]] = defaultdict(deque)

    def allow(self, sender: str) -> bool:
        """True, and counted, when one more answer to `sender` is within the limit."""
        now = self.clock()
        recent = self.sent[sender.lower()]
        while recent and recent[0] <= now - timedelta(hours=1):
            recent.popleft()
        if len(recent) >= self.per_hour:
            return False
        recent.append(now)
        return True
