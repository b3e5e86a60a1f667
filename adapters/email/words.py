"""What machines write, in the languages a cross-border shop's mailbox receives.

Data, not logic: `classify.py` decides with these. Each list says where its
words come from; add a language by adding its line.
"""

from __future__ import annotations

import re

# Local parts of addresses that cannot (or will not) read an answer, with "-", "_", "." and "+" removed.
NO_REPLY_STEMS = (
    "noreply", "donotreply", "dontreply", "noresponse", "noreplies",
    "naoresponda", "naoresponder", "naoresponde",  # Portuguese (não responda)
    "nepasrepondre", "nerepondezpas", "nerepondpas",  # French (ne pas répondre)
    "noresponder", "noresponda", "norespondas", "norespuesta",  # Spanish
    "nichtantworten", "keineantwort", "bittenichtantworten",  # German
    "nieodpowiadac", "nieodpowiadaj", "nieodpisuj",  # Polish (nie odpowiadać)
    "nonrispondere", "nonrisp",  # Italian
    "nietbeantwoorden", "nietantwoorden", "geenantwoord",  # Dutch
    "neotvechat", "neotvechaite", "neotvechayte",  # Russian (не отвечать), transliterated
    "svarainte", "ikkesvar", "ikkesvare", "eisvar", "alavastaa",  # Swedish, Danish/Norwegian, Finnish
    "nevalaszoljon", "nevalaszolj", "neodpovidejte", "neodpovedat",  # Hungarian, Czech
    "yanitlamayin", "cevaplamayin", "cevapvermeyin",  # Turkish
    "khongtraloi", "janganbalas", "tidakbalas",  # Vietnamese, Indonesian/Malay
)
# Whole local parts of system senders (after the same normalisation).
SYSTEM_SENDERS = {"mailerdaemon", "maildaemon", "postmaster", "bounce", "bounces", "mailer", "automailer", "daemon"}
# Local parts that a notification system uses, never a person: only together with a notice domain (see below)
# or as the whole local part.
NOTICE_LOCALS = {
    "notification", "notifications", "notice", "notices", "notify", "alert", "alerts", "autoconfirm", "shipconfirm",
    "orderupdate", "orderupdates", "newsletter", "newsletters", "digest", "updates", "autonotify", "sellernotification",
    "sellernotifications", "transaction", "messages", "memberupdates", "automated", "robot", "system", "sysmail",
}
# First labels of sending subdomains that platforms reserve for machine mail (notice.aliexpress.com,
# notifications.shopify.com, em.example.com). Only counted on domains of three labels or more.
NOTICE_SUBDOMAINS = {
    "notice", "notices", "notification", "notifications", "notify", "alerts", "alert", "bounce", "bounces",
    "mailer", "newsletter", "news", "marketing", "em", "e", "mkt", "campaign", "campaigns", "updates", "info-mail",
    "reply", "mg", "sg", "ses",
}
# Marketplaces' and platforms' machine senders: (domain suffix, local parts or "*" for any).
MARKETPLACE_SENDERS = (
    ("ebay.com", "*"), ("ebay.de", "*"), ("ebay.co.uk", "*"), ("ebay.fr", "*"), ("ebay.it", "*"), ("ebay.es", "*"),
    ("ebay.com.au", "*"), ("reply.ebay.com", "*"), ("members.ebay.com", "*"),
    ("amazon.com", {"seller-notification", "auto-confirm", "ship-confirm", "order-update", "payments-messages",
                    "seller-performance", "donotreply", "no-reply", "notifications", "marketplace-messages", "store-news"}),
    ("amazon.de", "*"), ("amazon.co.uk", "*"), ("amazon.fr", "*"), ("amazon.it", "*"), ("amazon.es", "*"),
    ("amazon.co.jp", "*"), ("amazon.cn", "*"), ("amazonses.com", "*"),
    ("aliexpress.com", {"notice", "service", "transaction", "promotion", "newsletter", "message", "messages"}),
    ("notice.aliexpress.com", "*"), ("mail.aliexpress.com", "*"), ("notice.alibaba.com", "*"),
    ("alibaba.com", {"notice", "service", "noreply", "notification"}),
    ("shopify.com", {"mailer", "no-reply", "noreply", "notifications"}), ("etsy.com", {"transaction", "notification"}),
    ("paypal.com", {"service", "member", "service-de", "service-fr"}), ("intl.paypal.com", "*"),
    ("wish.com", {"merchant", "noreply"}), ("shopee.com", "*"), ("lazada.com", "*"), ("mercadolibre.com", "*"),
    ("rakuten.co.jp", "*"), ("cdiscount.com", "*"), ("allegro.pl", "*"), ("ozon.ru", "*"), ("wildberries.ru", "*"),
)
# Headers that only bulk and transactional sending services add (never a person's mail program).
SENDER_SERVICE_HEADERS = (
    "Feedback-ID", "X-SES-Outgoing", "X-Mailgun-Sid", "X-Mailgun-Tag", "X-SG-EID", "X-SG-ID", "X-MC-User",
    "X-Mandrill-User", "X-Campaign", "X-CampaignID", "X-Mailchimp-Campaign", "X-MSYS-API", "X-SFMC-Stack",
    "X-Marketo-ID", "X-Sendinblue-Campaign", "X-Mailjet-Campaign", "X-PM-Message-Id", "X-Amazon-Mail-Relay-Type",
)
# Header families marketplaces put on their notices.
MARKETPLACE_HEADER_PREFIXES = ("x-ebay-", "x-amazon-", "x-aliexpress-", "x-alibaba-", "x-etsy-", "x-shopify-")

# Return paths of VERP and bounce-processing senders: bounce+buyer=example.com@…, bounces-123@…, 0100018c…@amazonses.
VERP_RETURN_PATH = re.compile(
    r"^(bounces?|bnc|bm|rebound|return|returns|fbl|mailer|email-bounce|bounce-mail|msprvs\d?)([-+._=]|$)"
    r"|[-+._](bounces?|bnc)([-+._=@]|$)|^0\d{3}0[0-9a-f]{8,}|=[0-9a-z.-]+\.[a-z]{2,}=?$",
    re.IGNORECASE,
)

# "Please do not reply to this e-mail" and "sent automatically", in the body, in many languages.
DO_NOT_REPLY = re.compile(
    r"(do\s*n[o']?t\s+(reply|respond)(\s+(to|directly))?|please\s+don[’']t\s+reply|this\s+(is\s+an?\s+)?(automated|automatic|auto-generated)\s+(message|e-?mail|notification)"
    r"|(this|the)\s+(e-?mail|message|mailbox)\s+(address\s+)?(is|was)\s+(not\s+monitored|unmonitored|sent\s+automatically|generated\s+automatically)"
    r"|replies\s+to\s+this\s+(e-?mail|message)\s+(are|will)\s+not"
    r"|antworten\s+sie\s+nicht|bitte\s+(antworten\s+sie\s+)?nicht\s+auf\s+diese|automatisch\s+(erstellt|generiert|versendet|versandt)e?"
    r"|ne\s+(pas\s+)?r[ée]pond(ez|re)\s+pas|merci\s+de\s+ne\s+pas\s+r[ée]pondre|ne\s+pas\s+r[ée]pondre|(message|e-?mail|courriel)\s+(g[ée]n[ée]r[ée]|envoy[ée])\s+automatiquement"
    r"|no\s+respond(a|as|er)\b|por\s+favor,?\s+no\s+(responda|respondas|conteste)|(mensaje|correo)\s+(generado|enviado)\s+autom[áa]ticamente"
    r"|n[ãa]o\s+respond(a|er)\b|(mensagem|e-?mail)\s+(gerad[ao]|enviad[ao])\s+automaticamente"
    r"|non\s+rispondere|si\s+prega\s+di\s+non\s+rispondere|(messaggio|e-?mail)\s+(generat[ao]|inviat[ao])\s+automaticamente"
    r"|niet\s+(be)?antwoorden|reageer\s+niet\s+op\s+(deze|dit)|antwoord\s+niet\s+op\s+(deze|dit)|automatisch\s+(gegenereerd|verzonden)"
    r"|nie\s+odpowiadaj|prosimy\s+nie\s+odpowiada[ćc]|prosimy\s+o\s+nieodpowiadanie|wiadomo[śs][ćc]\s+(zosta[łl]a\s+)?wygenerowana\s+automatycznie"
    r"|не\s+отвечайте\s+на\s+(это|данное|этот)|(письмо|сообщение)\s+(сформировано|отправлено|создано)\s+автоматически|не\s+відповідайте"
    r"|bu\s+e-?postay[ıi]\s+(yan[ıi]tlamay[ıi]n|cevaplamay[ıi]n)|l[üu]tfen\s+bu\s+e-?postaya\s+(yan[ıi]t|cevap)\s+vermeyin"
    r"|请勿(直接)?回复|請勿(直接)?回覆|請勿回復|请不要(直接)?回复|(此|本)邮件(为|由)系统自动(发送|发出)|系统自动发送|自動送信|送信専用|返信(しないで|できません|いただいても)"
    r"|회신하지\s*마십시오|발신\s*전용|لا\s+ترد|يرجى\s+عدم\s+الرد|الرجاء\s+عدم\s+الرد|אין\s+להשיב|נא\s+לא\s+להשיב"
    r"|svara\s+inte\s+p[åa]|svar\s+ikke\s+p[åa]|besvar\s+ikke|[äa]l[äa]\s+vastaa|ne\s+v[áa]laszoljon|neodpov[íi]dejte"
    r"|μην\s+απαντ[ήη]σετε|โปรดอย่าตอบกลับ|vui\s+l[òo]ng\s+kh[ôo]ng\s+tr[ảa]\s+l[ờo]i|(mohon|harap)\s+(tidak|jangan)\s+membalas)",
    re.IGNORECASE,
)

# Subjects of out-of-office and automatic replies.
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic|mated)?[ -]?(reply|response|answer)|out\s+of\s+(the\s+)?office|ooo\b|away\s+from\s+(the\s+)?office|"
    r"on\s+vacation|on\s+holiday|autoreply|abwesenheitsnotiz|abwesend|automatische\s+antwort|nicht\s+im\s+b[üu]ro|"
    r"r[ée]ponse\s+automatique|absence|absent\b|respuesta\s+autom[áa]tica|fuera\s+de\s+la\s+oficina|ausente|"
    r"resposta\s+autom[áa]tica|fora\s+do\s+escrit[óo]rio|risposta\s+automatica|fuori\s+ufficio|assente|"
    r"automatisch\s+antwoord|afwezig|niet\s+aanwezig|odpowied[źz]\s+automatyczna|poza\s+biurem|nieobecno[śs][ćc]|"
    r"автоответ|автоматический\s+ответ|вне\s+офиса|в\s+отпуске|otomatik\s+yan[ıi]t|ofis\s+d[ıi]ş[ıi]nda|"
    r"automatiskt\s+svar|fr[åa]nvaro|automatisk\s+svar|frav[æa]r|automaattinen\s+vastaus|poissa|"
    r"automatick[áa]\s+odpov[ěe][ďd]|automatikus\s+v[áa]lasz|αυτόματη\s+απάντηση|"
    r"自动回复|自動回覆|自动答复|不在办公室|休假|自動応答|自動返信|不在(の)?(お知らせ|通知)|자동\s*응답|부재\s*중|"
    r"رد\s+تلقائي|خارج\s+المكتب|תשובה\s+אוטומטית|trả\s+lời\s+tự\s+động|balasan\s+otomatis|"
    r"undeliver(ed|able)|delivery\s+(status\s+notification|has\s+failed|failure)|mail\s+delivery\s+(failed|failure|subsystem)|"
    r"returned\s+mail|failure\s+notice|unzustellbar|non\s+remis|no\s+entregado|退信|系统退信|未送达)",
    re.IGNORECASE,
)
