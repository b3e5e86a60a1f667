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

from mailparser_reply.constants import MAIL_LANGUAGES
from mailparser_reply.parser import EmailMessage as LibraryMessage

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



# Right-to-left and other invisible marks mail programs put around names and dates (Gmail in Arabic).
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\u061c\ufeff]")


def _plain(line: str) -> str:
    return _INVISIBLE.sub("", line).strip()


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
_LIB = LibraryMessage(text="", languages=list(MAIL_LANGUAGES))  # its header and disclaimer patterns, all languages


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
    for found in _LIB.HEADER_REGEX.finditer(text):
        index = text[:found.start()].count("\n") + (text[found.start()] == "\n")
        if index < len(lines) and not _quoted(lines[index]) and not _before_quote(lines, index + 1):
            return index
    return len(lines)


# -- signatures and footers -------------------------------------------------------------

_SIGNATURE = re.compile(r"^(--|—|__|-- ?[^\w\s]?)\s*$")
# "Sent from my iPhone" and friends, in the buyers' languages.
_SENT_FROM = re.compile(
    r"^\s*(sent\s+(from|with|via|using)|get\s+outlook\s+for|sent\s+from\s+(mail|yahoo|outlook)|отправлено\s+(с|из)|"
    r"enviado\s+(desde|do|de|a\s+partir)|envoyé\s+(de|depuis|à\s+partir)|von\s+meinem|gesendet\s+(von|mit|vom)|"
    r"inviato\s+da|wysłane\s+z|verzonden\s+(met|vanaf|van)|skickat\s+från|sendt\s+fra|lähetetty|odesláno\s+z|"
    r"trimis\s+de\s+pe|elküldve|στάλθηκε\s+από|gönderildi|iphone['’]?(umdan|dan)|android\s+için|"
    r"从我的|发自我的|發自我的|来自我的|发自|寄件自|iphoneから送信|.{0,20}から送信|나의\s|.{0,20}에서\s*보냄|"
    r"أرسلت\s+من|تم\s+الإرسال\s+من|נשלח\s+מה|được\s+gửi\s+từ|gửi\s+từ|dikirim\s+dari|ส่งจาก)",
    re.IGNORECASE,
)
_DEVICE = re.compile(
    r"(iphone|ipad|android|samsung|huawei|xiaomi|galaxy|smartphone|mobile|móvil|celular|blackberry|yahoo|"
    r"outlook|windows|aol|телефона|мобильного|mail\.ru|яндекс|yandex|gmail|mail|proton|手机|手機|邮箱|郵箱|"
    r"网易|qq|携帯|스마트폰|phone|telefon|tablet|pixel|oppo|vivo|redmi|honor|oneplus|nokia|lg|sony|motorola)",
    re.IGNORECASE,
)
# A framed signature: ====, ****, ━━━ or ＝＝＝ lines around a name and a contact block (common in Japan).
_FRAME = re.compile(r"^\s*[=＝*＊~～━─—–－_\-+#]{5,}\s*$")
_CONTACT = re.compile(
    r"(\b(tel|phone|mob(ile)?|cell|fax|whatsapp|wechat|skype|e-?mail|web|www|mail|adr|address)\b\.?\s*[:：.]"
    r"|https?://|www\.|[\w.+-]+@[\w-]+\.|\+\d[\d ()./-]{7,}\d|〒|電話|手机|手機|电话|微信|住所|地址|傳真|传真|"
    r"тел\.?|телефон|телефона|факс|téléphone|teléfono|telefone|telefono|телефон:|هاتف|טלפון)",
    re.IGNORECASE,
)
# The first words of legal and confidentiality footers, in many languages.
_FOOTER = re.compile(
    r"^\s*[*\[(]?\s*(disclaimer|confidentiality|confidential(ity)?\s+(notice|note|information)|"
    r"this\s+(e-?mail|message|communication)(\s+and\s+any\s+(attachments?|files?)(\s+\w+)?)?\s+(is|are|may|contains?|and|transmitted)|"
    r"the\s+information\s+(contained\s+)?in\s+this|if\s+you\s+(are\s+not|have\s+received\s+this)|"
    r"please\s+consider\s+the\s+environment|think\s+before\s+you\s+print|"
    r"diese\s+(e-?mail|nachricht)|der\s+inhalt\s+dieser|vertraulichkeitshinweis|haftungsausschluss|"
    r"ce\s+(message|courriel|e-?mail)|les\s+informations\s+contenues|avis\s+de\s+confidentialit|"
    r"este\s+(mensaje|correo|e-?mail)|la\s+informaci[óo]n\s+contenida|aviso\s+(legal|de\s+confidencialidad)|"
    r"esta\s+mensagem|este\s+(e-?mail|correio)|as\s+informa[çc][õo]es\s+contidas|"
    r"quest[ao]\s+(e-?mail|messaggio|comunicazione)|il\s+presente\s+messaggio|le\s+informazioni\s+contenute|ai\s+sensi\s+del|"
    r"dit\s+(e-?mail)?bericht|deze\s+e-?mail|de\s+informatie\s+(verzonden|in\s+dit)|"
    r"niniejsza\s+wiadomo|ta\s+wiadomo|informacje\s+zawarte|"
    r"это\s+(сообщение|письмо)|данное\s+(сообщение|письмо)|информация,?\s+содержащаяся|конфиденциальн|"
    r"bu\s+e-?posta|bu\s+mesaj|gizlilik|"
    r"本邮件|本郵件|此邮件(含有|包含|可能)|本電子郵件|免责声明|免責聲明|保密|このメール(には|は.*機密)|本メール|機密|"
    r"이\s*메일은|본\s*메일은|هذه\s+الرسالة|هذا\s+البريد|הודעה\s+זו|"
    r"detta\s+(e-?post|meddelande)|denne\s+(e-?mail|e-?post|meddelelse)|tämä\s+sähköposti|"
    r"tento\s+e-?mail|ez\s+az\s+e-?mail|αυτό\s+το\s+μήνυμα|acest\s+(e-?mail|mesaj))",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(regards|wishes|thanks|thank\s+you|cheers|best|sincerely|grüße|gruß|grüsse|groet|groeten|saludos|atentamente|"
    r"cordialement|salutations|cumprimentos|atenciosamente|saluti|cordiali|distinti|pozdrawiam|pozdrowienia|уважением|"
    r"спасибо|saygılar|hälsningar|hilsen|terveisin|敬具|此致|谢谢|謝謝|よろしく|감사합니다|مع\s+تحياتي)[\s,.!]*$",
    re.IGNORECASE,
)
FOOTER_MIN_CHARS = 60  # a footer is a paragraph, not a word
_LEGAL = re.compile(
    r"(confidential|privileged|intended\s+(solely|only|exclusively|for)|recipient|addressee|disclos|unauthori[sz]ed|"
    r"vertraulich|empfänger|adressat|destinataire|confidentiel|destinatario|confidencial|riservat|destinatari|"
    r"vertrouwelijk|geadresseerde|bestemd|poufn|adresat|конфиденц|адресат|gizli|alıcı|机密|保密|機密|秘密|受信者|收件人|"
    r"宛先|受取人|수신인|기밀|سري|المرسل\s+إليه|סודי|נמען|sekretess|mottagare|fortrolig|modtager|luottamuks|vastaanottaja|"
    r"bizalmas|címzett|důvěrn|adresát|εμπιστευτικ|παραλήπτ|confiden[țt]ial|destinatar|environment|umwelt|environnement|"
    r"medio\s*ambiente|ambiente|milieu|print|drucken|imprimer|imprimir|stampare|law|gesetz|loi|ley|legge|lei\b|"
    r"exclusiv|esclusiv|ausschlie|uniquement|uitsluitend|strictly|prohibit|proibit|vietat|verboten|interdit|"
    r"sigilo|privilegiad|riservatezza|zabronion|запрещ)",
    re.IGNORECASE,
)


def _is_sent_from(line: str) -> bool:
    return len(line) <= 80 and len(line.split()) <= 8 and bool(_SENT_FROM.match(line)) and bool(_DEVICE.search(line))


def _footer_at(lines: list[str], index: int) -> bool:
    """A legal footer: its first words, a paragraph's length, and the words of the law (a buyer's
    "This email is about order 1047" has the first but not the rest)."""
    if not _FOOTER.match(lines[index]):
        return False
    return _legal(" ".join(lines[index:index + 8]))


def _legal(paragraph: str) -> bool:
    return len(paragraph) >= FOOTER_MIN_CHARS and bool(_LEGAL.search(paragraph))


def _framed_at(lines: list[str], index: int) -> bool:
    """A frame line with a name and contact details below it (and nothing else) is a signature."""
    if not _FRAME.match(lines[index]):
        return False
    rest = [line for line in lines[index + 1:] if line.strip()]
    if not 0 < len(rest) <= 15 or re.search(r"[?？]", "".join(rest)):
        return False
    # a contact block, or only a name and a title or two ("小满 / 活动协调人")
    return any(_CONTACT.search(line) for line in rest) or (len(rest) <= 4 and all(_bare(line) for line in rest))


def _bare(line: str) -> bool:
    """A line that is a name or a title, not a sentence."""
    return len(line.split()) <= 5 and len(line.strip()) <= 40 and not re.search(r"[.!。！,，:：]$", line.strip())


def _contact_block(lines: list[str]) -> int:
    """Where a trailing name-title-company-phone block starts (len(lines) when there is none)."""
    start = len(lines)
    contacts = 0
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index].strip()
        if not line:
            if contacts:
                break
            continue
        contact = bool(_CONTACT.search(line))
        short = len(line.split()) <= 6 and not re.search(r"[?？!！]|[.。]$", line)
        if not (contact or short) or len(lines) - index > 12:
            break
        contacts += contact
        start = index
    # one line with an address or a link is a buyer's sentence ("my PayPal is ana@…"); a signature has more
    if contacts < 1 or (contacts < 2 and len(lines) - start < 3):
        return len(lines)
    # keep the sign-off and the sender's name; the title, company and numbers below them go
    keep = 2 if _CLOSING.search(lines[start]) else 1
    return min(start + keep, len(lines)) if not _CONTACT.search(lines[start]) else start


def strip_signature(text: str) -> str:
    """The text without its signature, "Sent from my …" line, contact block or legal footer."""
    lines = [_INVISIBLE.sub("", line).rstrip() for line in text.split("\n")]
    end = len(lines)
    for index, line in enumerate(lines):
        plain = line.strip()
        if index > 0 and (_SIGNATURE.match(plain) or _framed_at(lines, index)):
            end = index
            break
        if _is_sent_from(plain) or _footer_at(lines, index):
            end = index
            break
    library = next(iter(_LIB.DISCLAIMERS_REGEX.finditer("\n".join(lines[:end]))), None)
    if library and library.start() > 0 and _legal("\n".join(lines[:end])[library.start():]):
        end = min(end, "\n".join(lines)[:library.start() + 1].count("\n") + 1)
    lines = lines[:end]
    return tidy("\n".join(lines[:_contact_block(lines)]))


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
