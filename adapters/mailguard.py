"""Mail loops: which mail must never get an automatic answer, and how many answers one sender may get.

Two auto-responders answering each other fill two mailboxes in minutes, and a
bounce answered is a bounce returned. RFC 3834 says how to tell automatic mail
apart (Auto-Submitted, Precedence, list headers, null return path); senders
that cannot receive answers (no-reply, MAILER-DAEMON) are recognised by name.
The per-sender limit is the last fence, for the loops no header reveals.
"""

from __future__ import annotations

import re
from collections import defaultdict, deque
from datetime import datetime, timedelta
from typing import Callable

from adapters.mailparse import ParsedMail

_NO_REPLY = re.compile(
    r"^(mailer-daemon|postmaster|mail-daemon|bounces?|.*(^|[._+-])(no-?reply|do-?not-?reply|donotreply|noreply)([._+-].*)?)$",
    re.IGNORECASE,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic)?[ -]?(reply|response|answer)|out of (the )?office|autoreply|abwesenheitsnotiz|"
    r"automatische antwort|réponse automatique|respuesta automática|resposta automática|risposta automatica|"
    r"автоответ|автоматический ответ|undelivered mail returned|delivery status notification|"
    r"mail delivery (failed|failure|subsystem))\b",
    re.IGNORECASE,
)
_BULK = {"bulk", "list", "junk", "auto_reply"}


def automated(mail: ParsedMail, own_address: str = "") -> str | None:
    """Why this mail must not be answered automatically (None when a person wrote it and can read an answer)."""
    auto = mail.header("Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = mail.header("Precedence").strip().lower()
    if precedence in _BULK:
        return f"Precedence: {precedence}"
    for name in ("List-Id", "List-Unsubscribe", "List-Post"):
        if mail.header(name):
            return f"mailing list ({name})"
    # Not X-Auto-Response-Suppress: Exchange puts it on ordinary mail too; it asks *others* not to auto-reply
    # to Exchange's own messages, and we set it on ours (see mailout.py).
    if mail.header("X-Autoreply") or mail.header("X-Autorespond"):
        return "auto-responder header"
    if mail.header("Return-Path").replace(" ", "") == "<>":
        return "bounce (empty Return-Path)"
    if mail.message.get_content_type() == "multipart/report":
        return "delivery or read report (multipart/report)"
    if not mail.sender:
        return "no sender address"
    local = mail.sender.split("@")[0]
    if _NO_REPLY.match(local):
        return f"sender cannot receive answers ({mail.sender})"
    if own_address and own_address.lower() in (mail.sender, mail.reply_to):
        return "sent from the shop's own address"
    if _AUTO_SUBJECT.match(mail.subject):
        return f"automatic subject ({mail.subject[:60]})"
    return None


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
