"""The words a buyer actually wrote in a mail: quoted history, signatures and legal footers cut.

Intent matching must see only the new text. A reply carries the earlier
thread (often our own answer, which would match an intent of its own) above,
below or around the buyer's words, and signatures, "Sent from my iPhone" and
confidentiality notices are noise. mail-parser-reply knows the reply headers
and disclaimers of many mail programs; the rules here add what it misses
(attribution lines in more languages, right-to-left marks, forwarded-message
markers, inline and bottom replies, framed and contact-block signatures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from adapters.email.lines import LIBRARY, plain as _plain, tidy
from adapters.email.signature import strip_signature


# -- quoted history ---------------------------------------------------------------------

# "On Mon, 3 Mar 2025 at 10:00, Ana <ana@example.com> wrote:" and its translations.
_ATTRIBUTION = re.compile(
    r"""^\s*(
        on\b.{0,300}\bwrote\s*:                       # English (Gmail, Apple Mail, Thunderbird, Yahoo)
      | at\b.{0,200}\byou\s+wrote\s*:                 # Eudora
      | at\b.{0,200}\bwrote\s*:
      | am\b.{0,300}\bschrieb\b.{0,100}:              # German
      | le\b.{0,300}\ba\s+écrit\s*:                   # French
      | el\b.{0,300}\bescribió\s*:                    # Spanish
      | em\b.{0,300}\bescreveu\s*:                    # Portuguese
      | il\b.{0,300}\bha\s+scritto\s*:                # Italian
      | op\b.{0,300}\bschreef\b.{0,100}:              # Dutch
      | w\s+dniu\b.{0,300}\bpisze\s*:                 # Polish
      | den\b.{0,300}\bskrev\b.{0,100}:               # Scandinavian
      | dne\b.{0,300}\bnapsal(\(a\))?\s*:             # Czech
      | .{0,300}\b(kirjoitti|írta|a\s+scris|napísal|написа|έγραψε)\s*:   # Finnish, Hungarian, Romanian, Slovak, Bulgarian, Greek
      | 在.{0,300}写道\s*[:：]                          # 163, QQ, Foxmail
      | .{0,300}(写道|寫道|のメッセージ|さんは書きました|님이\s*작성|작성)\s*[:：]
      | في\b.{0,300}كتب\s*[:：]                        # Gmail in Arabic
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Where the verb comes last, the line must also carry a date or an address.
_ATTRIBUTION_VERB = re.compile(
    r"(\b(написал|написала|написал\(а\)|пишет|пише|написав|написала\(в\)|napisał|napisała|napisał\(a\))|\btarihinde\b.*\byazdı|كتب|כתב|כתבה|đã\s+viết|menulis|เขียนว่า|เขียน|写道|寫道|wrote|schrieb)\s*[:：]\s*$",
    re.I,
)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# "-----Original Message-----", forwarded-message markers and their translations.
_MARKER = re.compile(
    r"^\s*[-_=*]{2,}\s*(original\s+message|ursprüngliche\s+nachricht|originalnachricht|message\s+d'origine|mensaje\s+original|"
    r"mensagem\s+original|messaggio\s+originale|oorspronkelijk\s+bericht|исходное\s+сообщение|oryginalna\s+wiadomość|"
    r"wiadomość\s+oryginalna|ursprungligt\s+meddelande|oprindelig\s+meddelelse|opprinnelig\s+melding|alkuperäinen\s+viesti|"
    r"původní\s+zpráva|eredeti\s+üzenet|orijinal\s+mesaj|özgün\s+ileti|原始邮件|原始郵件|原邮件|元のメッセージ|원본\s*메시지|"
    r"الرسالة\s+الأصلية|ההודעה\s+המקורית|thư\s+gốc|pesan\s+asli|"
    r"forwarded\s+message|weitergeleitete\s+nachricht|message\s+transféré|mensaje\s+reenviado|mensagem\s+encaminhada|"
    r"messaggio\s+inoltrato|doorgestuurd\s+bericht|przekazana\s+wiadomość|пересылаемое\s+сообщение|переслане\s+повідомлення|"
    r"iletilen\s+ileti|vidarebefordrat\s+meddelande|videresendt\s+meddelelse|转发邮件|转发的邮件|轉寄郵件|転送されたメッセージ|"
    r"전달된\s*메시지|الرسالة\s+المعاد\s+توجيهها|reply\s+message|forwarded\s+mail)\s*[-_=*]{0,}\s*$"
    r"|^\s*(begin\s+forwarded\s+message|anfang\s+der\s+weitergeleiteten\s+nachricht|début\s+du\s+message\s+réexpédié|"
    r"inicio\s+del\s+mensaje\s+reenviado|início\s+da\s+mensagem\s+reencaminhada|inizio\s+messaggio\s+inoltrato|"
    r"begin\s+doorgestuurd\s+bericht|начало\s+переадресованного\s+сообщения)\s*:\s*$",
    re.IGNORECASE,
)
# An Outlook-style header block: "From:" then "Sent:"/"To:"/"Subject:" within a few lines.
_HEADER_FROM = re.compile(
    r"^\s*\*?(from|von|de|de\s+la|от|від|da|van|od|från|fra|kimden|gönderen|发件人|發件人|寄件者|差出人|보낸\s*사람|من|מאת|"
    r"từ|dari|จาก|lähettäjä|feladó|από|afzender)\s*\*?\s*[:：]\*?\s*\S",
    re.IGNORECASE,
)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|date|à|objet|enviado|fecha|para|asunto|"
    r"data|para|assunto|inviato|oggetto|a|verzonden|aan|onderwerp|wysłano|do|temat|skickat|till|ämne|sendt|til|emne|"
    r"отправлено|дата|кому|тема|надіслано|gönderildi|tarih|kime|konu|发送时间|發送時間|日期|收件人|收件者|主题|主旨|抄送|"
    r"寄件日期|送信日時|宛先|件名|보낸\s*날짜|받는\s*사람|제목|التاريخ|تاريخ\s+الإرسال|إلى|الموضوع|נשלח|אל|נושא|"
    r"đã\s+gửi|đến|chủ\s+đề|dikirim|kepada|subjek|ส่ง|ถึง|เรื่อง|lähetetty|vastaanottaja|aihe|elküldve|címzett|tárgy|"
    r"στάλθηκε|προς|θέμα|trimis|către|subiect|odesláno|komu|předmět)\s*\*?\s*[:：]",
    re.IGNORECASE,
)
_DIVIDER = re.compile(r"^\s*[_—–-]{10,}\s*$")


def _quoted(line: str) -> bool:
    return _plain(line).startswith(">") or line.lstrip().startswith(">")


def _is_header_block(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(_plain(lines[index])):
        return False
    following = [_plain(line) for line in lines[index + 1:index + 6] if line.strip()]
    return any(_HEADER_NEXT.match(line) for line in following[:4])


def _attribution(line: str, next_line: str | None) -> bool:
    if _ATTRIBUTION.match(line):
        return True
    if _ATTRIBUTION_VERB.search(line) and re.search(r"@|\d", line):
        return True
    # Any language, e.g. Yandex's "23.11.2026, 10:00, Shop <shop@example.com>:" right above a quote.
    return line.endswith(":") and bool(_ADDRESS.search(line)) and next_line is not None and next_line.startswith(">")


def _attribution_lines(lines: list[str], index: int) -> int:
    """How many lines (1 or 2) the attribution starting at `index` takes; 0 when it is none."""
    line = _plain(lines[index])
    if not line or line.startswith(">") or len(line) > 400:
        return 0
    rest = [(i, _plain(other)) for i, other in enumerate(lines[index + 1:], index + 1) if other.strip()]
    if _attribution(line, rest[0][1] if rest else None):
        return 1
    # Gmail wraps a long attribution: "On Mon, 23 Nov 2026 … Ana <" / "ana@example.com> wrote:".
    if rest and re.search(r"\d|@|<", line) and rest[0][0] == index + 1:
        return 2 if _attribution(f"{line} {rest[0][1]}", rest[1][1] if len(rest) > 1 else None) else 0
    return 0


def _before_quote(lines: list[str], index: int) -> bool:
    """Is the next non-blank line a "> " quote?"""
    return next((_quoted(line) for line in lines[index:] if line.strip()), False)


def _history_start(lines: list[str]) -> int:
    """Index of the first line of unquoted history (len(lines) when there is none).

    An attribution right above "> " lines is not history: the buyer may write below the quote.
    """
    for index, line in enumerate(lines):
        plain = _plain(line)
        if not plain or _quoted(line):
            continue
        if _MARKER.match(plain) or _is_header_block(lines, index):
            return index
        if _DIVIDER.match(plain) and any(_is_header_block(lines, i) for i in range(index + 1, min(len(lines), index + 3))):
            return index
        taken = _attribution_lines(lines, index)
        if taken and not _before_quote(lines, index + taken):
            return index
    text = "\n".join(_plain(line) for line in lines)
    for found in LIBRARY.HEADER_REGEX.finditer(text):
        index = text[:found.start()].count("\n") + (text[found.start()] == "\n")
        if index < len(lines) and not _quoted(lines[index]) and not _before_quote(lines, index + 1):
            return index
    return len(lines)


# -- the new text -----------------------------------------------------------------------


@dataclass(frozen=True)
class Extract:
    text: str  # what the sender wrote in this mail: no quotes, signature or footer
    own: str  # the sender's part of the mail, signature and footers included (where "do not reply" lines count)
    resent_quote: bool  # the mail was nothing but quoted text: `text` is that quote, re-sent


def extract(full_text: str) -> Extract:
    """Find the sender's new words wherever they are: above, below or between quoted lines."""
    lines = tidy(full_text).split("\n")
    cut = _history_start(lines)
    own: list[str] = []
    skip = 0
    for index, line in enumerate(lines[:cut]):
        if skip:
            skip -= 1
            continue
        if _quoted(line):
            continue
        taken = _attribution_lines(lines, index)
        if taken and _before_quote(lines, index + taken):
            skip = taken - 1
            continue
        own.append(line)
    own_text = tidy("\n".join(own))
    text = strip_signature(own_text)
    if text or not full_text.strip():
        return Extract(text, own_text, False)
    return Extract(_resent(lines, cut), own_text, True)


def _resent(lines: list[str], cut: int) -> str:
    """A mail that is all quote: the quote itself, without its attribution or header block."""
    quoted = [re.sub(r"^(\s*>\s?)+", "", line) for line in lines[:cut] if _quoted(line)]
    if not any(line.strip() for line in quoted):
        history = lines[cut:]
        start = next((i for i, line in enumerate(history) if not line.strip() and i > 0), 0)
        quoted = history[start:]
    inner = extract("\n".join(quoted)) if quoted != lines else None
    return inner.text if inner and inner.text else strip_signature(tidy("\n".join(quoted)))


def new_text(text: str) -> str:
    """What the sender wrote in this mail (see `extract`)."""
    return extract(text).text
