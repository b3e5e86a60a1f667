"""The words a buyer actually wrote in a mail: HTML to text, quoted history and signatures cut.

Intent matching must see only the new text. A reply carries the whole earlier
thread below it (often our own answer, which would match an intent of its own),
and a signature or "Sent from my iPhone" is noise. Mail clients mark these in
many languages; the patterns below cover the common clients (Gmail, Outlook,
Apple Mail, Thunderbird, Yandex, mobile apps) in the buyers' languages.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# -- HTML -----------------------------------------------------------------------------

_BLOCK = {
    "address", "article", "aside", "blockquote", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "thead", "tfoot", "tr", "ul",
}
_PARAGRAPH = {"p", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6"}
_HIDDEN = {"head", "script", "style", "title", "template", "noscript"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _TextMaker(HTMLParser):
    """Block elements become line breaks; <blockquote> lines get "> " like a plain-text quote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.hidden = 0
        self.quote = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += tag not in _VOID
        elif tag == "br":
            self.newline(force=True)
        elif tag in _BLOCK:
            self.newline()
            if tag == "blockquote":
                self.quote += 1
            elif tag == "pre":
                self.pre += 1
            elif tag == "li":
                self.line.append("- ")
        elif tag in ("td", "th") and self.line:
            self.line.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCK:
            self.newline()
            if tag == "blockquote":
                self.quote = max(0, self.quote - 1)
            elif tag == "pre":
                self.pre = max(0, self.pre - 1)
            elif tag in _PARAGRAPH and self.lines and self.lines[-1]:  # a <div> is a line (Gmail, Outlook), a <p> a paragraph
                self.lines.append(self.prefix().rstrip())

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.split("\n")
            self.line.append(first)
            for part in rest:
                self.newline(force=True)
                self.line.append(part)
            return
        text = re.sub(r"[ \t\r\n\f]+", " ", data.replace("\xa0", " "))
        if not self.line:
            text = text.lstrip()
        elif "".join(self.line).endswith(" "):
            text = text.lstrip()
        if text:
            self.line.append(text)

    def prefix(self) -> str:
        return "> " * self.quote

    def newline(self, force: bool = False) -> None:
        text = "".join(self.line).strip()
        self.line = []
        if text or force:
            self.lines.append((self.prefix() + text).rstrip())

    def text(self) -> str:
        self.newline()
        return tidy("\n".join(self.lines))


def html_to_text(html: str) -> str:
    """Readable text from HTML: tags gone, entities decoded, paragraphs and line breaks kept."""
    maker = _TextMaker()
    try:
        maker.feed(html)
        maker.close()
    except Exception:  # noqa: BLE001 - html.parser is lenient; anything left is too broken to keep its tags
        return tidy(re.sub(r"<[^>]*>", " ", html))
    return maker.text()


def tidy(text: str) -> str:
    """Trailing spaces off, at most one blank line in a row, no blank lines at either end."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip("\n")


def unflow(text: str, delsp: bool = False) -> str:
    """Join the soft line breaks of format=flowed text (RFC 3676)."""
    out: list[str] = []
    for line in text.split("\n"):
        joined = out[-1] if out else None
        if joined is not None and joined.endswith(" ") and joined != "-- " and not line.startswith(">"):
            out[-1] = (joined[:-1] if delsp else joined) + line
        else:
            out.append(line[1:] if line.startswith(" ") else line)  # space-stuffing
    return "\n".join(out)


# -- quoted history ---------------------------------------------------------------------

# "On Mon, 3 Mar 2025 at 10:00, Ana <ana@example.com> wrote:" and its translations.
_ATTRIBUTION = re.compile(
    r"""^\s*(
        on\b.{0,300}\bwrote\s*:                       # English (Gmail, Apple Mail, Thunderbird)
      | am\b.{0,300}\bschrieb\b.{0,100}:              # German
      | le\b.{0,300}\ba\s+écrit\s*:                   # French
      | el\b.{0,300}\bescribió\s*:                    # Spanish
      | em\b.{0,300}\bescreveu\s*:                    # Portuguese
      | il\b.{0,300}\bha\s+scritto\s*:                # Italian
      | op\b.{0,300}\bschreef\b.{0,100}:              # Dutch
      | w\s+dniu\b.{0,300}\bpisze\s*:                 # Polish
      | den\b.{0,300}\bskrev\b.{0,100}:               # Scandinavian
    )\s*$""",
    re.IGNORECASE | re.VERBOSE,
)
# Where the verb comes last, the line must also carry a date or an address.
_ATTRIBUTION_VERB = re.compile(r"(\b(написал|написала|написал\(а\)|пишет)|\btarihinde\b.*\byazdı|كتب|写道)\s*[:：]\s*$", re.I)
_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# "-----Original Message-----" (Outlook) and its translations.
_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|mensagem original|"
    r"messaggio originale|oorspronkelijk bericht|исходное сообщение|oryginalna wiadomość|ursprungligt meddelande|"
    r"orijinal mesaj|原始邮件)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# An Outlook-style header block: "From:" then "Sent:"/"To:"/"Subject:" within a few lines.
_HEADER_FROM = re.compile(r"^\s*\*?(from|von|de|от|da|van|od|från|fra|kimden|發件人|发件人|من)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^\s*\*?(sent|date|to|subject|cc|gesendet|datum|an|betreff|envoyé|date|à|objet|enviado|fecha|para|asunto|"
    r"data|para|assunto|inviato|oggetto|verzonden|aan|onderwerp|wysłano|temat|skickat|till|ämne|"
    r"отправлено|дата|кому|тема|gönderildi|tarih|kime|konu|发送时间|收件人|主题|التاريخ|إلى|الموضوع)\s*:",
    re.IGNORECASE,
)
_DIVIDER = re.compile(r"^\s*_{10,}\s*$")

# -- signatures -------------------------------------------------------------------------

_SIGNATURE = re.compile(r"^--\s?$")
# "Sent from my iPhone" and friends: a short line, a "sent from" phrase and a device or app.
_SENT_FROM = re.compile(
    r"^\s*(sent\s+from|get\s+outlook\s+for|отправлено\s+(с|из)|enviado\s+(desde|do|de)|envoyé\s+(de|depuis)|"
    r"von\s+meinem|inviato\s+da|wysłane\s+z|verzonden\s+(met|vanaf)|gönderildi|iphone['’]?(umdan|dan))\b",
    re.IGNORECASE,
)
_DEVICE = re.compile(
    r"(iphone|ipad|android|samsung|huawei|xiaomi|galaxy|smartphone|mobile|móvil|celular|blackberry|yahoo|"
    r"outlook|windows|aol|телефона|мобильного|mail\.ru|яндекс|yandex|gmail)",
    re.IGNORECASE,
)


def _is_sent_from(line: str) -> bool:
    return len(line.strip()) <= 60 and bool(_SENT_FROM.match(line)) and bool(_DEVICE.search(line))


def _is_header_block(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1:index + 6] if line.strip()]
    return any(_HEADER_NEXT.match(line) for line in following[:4])


def _attribution(line: str, next_line: str | None) -> bool:
    line = line.strip()
    if _ATTRIBUTION.match(line):
        return True
    if _ATTRIBUTION_VERB.search(line) and re.search(r"@|\d", line):
        return True
    # Any language, e.g. Yandex's "23.11.2026, 10:00, Shop <shop@example.com>:" right above a quote.
    return line.endswith(":") and bool(_ADDRESS.search(line)) and next_line is not None and next_line.startswith(">")


def _is_attribution(lines: list[str], index: int) -> bool:
    line = lines[index].strip()
    if not line or line.startswith(">") or len(line) > 400:
        return False
    rest = [other.strip() for other in lines[index + 1:] if other.strip()]
    if _attribution(line, rest[0] if rest else None):
        return True
    # Gmail wraps a long attribution: "On Mon, 23 Nov 2026 … Ana <" / "ana@example.com> wrote:".
    # The first half has a date or an address; a buyer's own last line rarely does.
    if rest and re.search(r"\d|@|<", line):
        return _attribution(f"{line} {rest[0]}", rest[1] if len(rest) > 1 else None)
    return False


def _cut_point(lines: list[str]) -> int:
    """Index of the first line of quoted history or signature (len(lines) when there is none)."""
    for index, line in enumerate(lines):
        if index == 0 and not line.strip():
            continue
        if _SIGNATURE.match(line) or _is_sent_from(line) or _ORIGINAL.match(line):
            return index
        if _DIVIDER.match(line) and index + 1 < len(lines) and any(
            _is_header_block(lines, i) for i in range(index + 1, min(len(lines), index + 3))
        ):
            return index
        if _is_header_block(lines, index) or _is_attribution(lines, index):
            return index
    return len(lines)


def new_text(text: str) -> str:
    """What the sender wrote in this mail: no quoted history, no "> " lines, no signature.

    Inline answers between quoted lines are kept (the "> " lines around them go).
    """
    lines = tidy(text).split("\n")
    kept = [line for line in lines[:_cut_point(lines)] if not line.lstrip().startswith(">")]
    return tidy("\n".join(kept))
