"""Signatures and footers: what a mail program or a company adds below the sender's words.

The `-- ` separator, "Sent from my iPhone" in many languages, framed (=====)
signatures, trailing title/company/phone blocks and legal or confidentiality
footers in many languages. A buyer's own lines must survive: each rule needs
more than one hint (a footer needs the words of the law, a contact block two
contacts, a "Sent from" line a device).
"""

from __future__ import annotations

import re

from adapters.email.lines import INVISIBLE, LIBRARY, tidy

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
    lines = [INVISIBLE.sub("", line).rstrip() for line in text.split("\n")]
    end = len(lines)
    for index, line in enumerate(lines):
        plain = line.strip()
        if index > 0 and (_SIGNATURE.match(plain) or _framed_at(lines, index)):
            end = index
            break
        if _is_sent_from(plain) or _footer_at(lines, index):
            end = index
            break
    library = next(iter(LIBRARY.DISCLAIMERS_REGEX.finditer("\n".join(lines[:end]))), None)
    if library and library.start() > 0 and _legal("\n".join(lines[:end])[library.start():]):
        end = min(end, "\n".join(lines)[:library.start() + 1].count("\n") + 1)
    lines = lines[:end]
    return tidy("\n".join(lines[:_contact_block(lines)]))


