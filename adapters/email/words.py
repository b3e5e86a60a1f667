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
SYSTEM_SENDERS = {"mailerdaemon", "maildaemon", "postmaster", "bounce", "bounces", "daemon"}
# Local parts that a notification system uses, never a person: only together with a notice domain (see below)
# or as the whole local part.
NOTICE_LOCALS = {
    "notification", "notifications", "notice", "notices", "notify", "alert", "alerts", "autoconfirm", "shipconfirm",
    "orderupdate", "orderupdates", "newsletter", "newsletters", "digest", "updates", "autonotify", "sellernotification",
    "sellernotifications", "transaction", "messages", "memberupdates", "automated", "robot", "system", "sysmail",
    "mailer", "automailer",
}
# First labels of sending subdomains that platforms reserve for machine mail (notice.aliexpress.com,
# notifications.shopify.com, em.example.com). Only counted on domains of three labels or more.
NOTICE_SUBDOMAINS = {
    "notice", "notices", "notification", "notifications", "notify", "alerts", "alert", "bounce", "bounces",
    "mailer", "newsletter", "news", "marketing", "em", "e", "mkt", "campaign", "campaigns", "updates", "info-mail",
    "reply", "mg", "sg", "ses",
}
_AMAZON_NOTICES = {
    "seller-notification", "auto-confirm", "ship-confirm", "order-update", "payments-messages", "seller-performance",
    "donotreply", "no-reply", "notifications", "store-news", "seller-info", "returns", "account-update",
}
# Marketplaces and platforms whose mail is their own notices: brand (the domain's name, any country) → the local
# parts that are notices, or "*" for all. Amazon's marketplace.amazon.* relay carries a buyer's own words (an
# answer reaches the buyer), so only Amazon's notice senders count.
MARKETPLACE_SENDERS = {
    "ebay": "*", "aliexpress": "*", "alibaba": "*", "amazon": _AMAZON_NOTICES, "amazonses": "*", "shopify": "*",
    "etsy": "*", "paypal": "*", "wish": "*", "shopee": "*", "lazada": "*", "mercadolibre": "*", "mercadolivre": "*",
    "rakuten": "*", "cdiscount": "*", "allegro": "*", "ozon": "*", "wildberries": "*", "dhgate": "*", "joom": "*",
    "temu": "*", "stripe": "*", "wix": "*", "squarespace": "*", "bigcommerce": "*", "woocommerce": "*",
    "tiendanube": "*", "nuvemshop": "*", "lojaintegrada": "*", "mercadopago": "*", "pagseguro": "*",
}
# Public mail providers: never "the shop's own domain", even when the shop's address is there
# (a shop at gmail.com does not make every Gmail buyer a colleague).
FREE_PROVIDERS = {
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com", "yahoo.com", "ymail.com", "aol.com",
    "icloud.com", "me.com", "mac.com", "proton.me", "protonmail.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "t-online.de",
    "mail.ru", "bk.ru", "inbox.ru", "list.ru", "yandex.ru", "yandex.com", "ya.ru", "rambler.ru", "qq.com", "foxmail.com",
    "163.com", "126.com", "yeah.net", "sina.com", "sohu.com", "aliyun.com", "naver.com", "daum.net", "hanmail.net",
    "yahoo.co.jp", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "yahoo.es", "hotmail.fr", "hotmail.co.uk", "orange.fr", "free.fr",
    "laposte.net", "libero.it", "virgilio.it", "uol.com.br", "bol.com.br", "terra.com.br", "wp.pl", "o2.pl", "interia.pl",
    "onet.pl", "seznam.cz", "zoho.com", "mail.com", "tutanota.com", "fastmail.com",
}
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

# "Please do not reply to this e-mail" and "sent automatically", in the body, in many languages. Each phrase
# is one a notice writes about itself ("this e-mail", imperative "do not reply"), not what an angry buyer
# writes about us ("you do not reply to my mails", "the automatic e-mail never came").
DO_NOT_REPLY = re.compile(
    r"(please\s+do\s*n[o'’]?t\s+(reply|respond)|do\s*n[o'’]?t\s+(reply|respond)\s+(to\s+this|directly|to\s+the\s+sender)"
    r"|this\s+is\s+an?\s+(automated|automatic|auto-generated|system[- ]generated)\s+(message|e-?mail|notification)"
    r"|this\s+(e-?mail|message|mailbox|address)\s+(address\s+)?(is|was)\s+(not\s+monitored|unmonitored|sent\s+automatically|generated\s+automatically|send-only)"
    r"|replies\s+to\s+this\s+(e-?mail|message)\s+(are|will)\s+not|this\s+is\s+a\s+(no-?reply|send-only)"
    r"|antworten\s+sie\s+(bitte\s+)?nicht|bitte\s+(antworten\s+sie\s+)?nicht\s+auf\s+diese|(e-?mail|nachricht)\s+wurde\s+automatisch\s+(erstellt|generiert|versendet|versandt)"
    r"|ne\s+(pas\s+)?r[ée]pondez\s+pas|merci\s+de\s+ne\s+pas\s+r[ée]pondre|veuillez\s+ne\s+pas\s+r[ée]pondre|ce\s+(message|courriel|e-?mail)\s+(a\s+[ée]t[ée]\s+|est\s+)?(g[ée]n[ée]r[ée]|envoy[ée])\s+automatiquement"
    r"|por\s+favor,?\s+no\s+(responda|respondas|conteste)|no\s+responda\s+a\s+este|este\s+(mensaje|correo)\s+(ha\s+sido\s+|fue\s+|es\s+)?(generado|enviado)\s+autom[áa]ticamente"
    r"|por\s+favor,?\s+n[ãa]o\s+respond|n[ãa]o\s+responda\s+(a\s+)?(esta|este)|(esta|este)\s+(mensagem|e-?mail)\s+(foi\s+|é\s+)?(gerad[ao]|enviad[ao])\s+automaticamente"
    r"|si\s+prega\s+di\s+non\s+rispondere|non\s+rispondere\s+a\s+quest|quest[oa]\s+(messaggio|e-?mail)\s+([èe]\s+stat[oa]\s+)?(generat[oa]|inviat[oa])\s+automaticamente"
    r"|gelieve\s+niet\s+te\s+(antwoorden|reageren)|reageer\s+niet\s+op\s+(deze|dit)|antwoord\s+niet\s+op\s+(deze|dit)|(deze|dit)\s+(e-?mail|bericht)\s+is\s+automatisch"
    r"|nie\s+odpowiadaj\b|prosimy\s+nie\s+odpowiada[ćc]|prosimy\s+o\s+nieodpowiadanie|wiadomo[śs][ćc]\s+(zosta[łl]a\s+)?wygenerowana\s+automatycznie"
    r"|не\s+отвечайте\s+на\s+(это|данное|этот)|(это|данное)\s+(письмо|сообщение)\s+(сформировано|отправлено|создано)\s+автоматически|не\s+відповідайте\s+на"
    r"|bu\s+e-?postay[ıi]\s+(yan[ıi]tlamay[ıi]n|cevaplamay[ıi]n)|l[üu]tfen\s+bu\s+e-?postaya\s+(yan[ıi]t|cevap)\s+vermeyin"
    r"|请勿(直接)?回复|請勿(直接)?回覆|請勿回復|请不要(直接)?回复|(此|本)(邮件|郵件|信)(为|是|由)系统自动|このメールは(送信専用|自動送信)|返信(しないで|はできません|いただいても(お答え|回答)できません)"
    r"|회신하지\s*마십시오|회신\s*불가|발신\s*전용|يرجى\s+عدم\s+الرد|الرجاء\s+عدم\s+الرد|لا\s+ترد\s+على\s+هذه|אין\s+להשיב|נא\s+לא\s+להשיב"
    r"|svara\s+inte\s+p[åa]\s+(detta|det\s+h[äa]r)|svar\s+ikke\s+p[åa]\s+denne|besvar\s+ikke\s+denne|[äa]l[äa]\s+vastaa\s+t[äa]h[äa]n|ne\s+v[áa]laszoljon|neodpov[íi]dejte"
    r"|μην\s+απαντ[ήη]σετε|โปรดอย่าตอบกลับ|vui\s+l[òo]ng\s+kh[ôo]ng\s+tr[ảa]\s+l[ờo]i|(mohon|harap)\s+(tidak|jangan)\s+membalas)",
    re.IGNORECASE,
)

# Subjects of out-of-office and automatic replies.
AUTO_SUBJECT = re.compile(
    r"^\s*(auto(matic|mated)?[ -]?(reply|response|answer)|out\s+of\s+(the\s+)?office|ooo\s*[:：]|away\s+from\s+(the\s+)?office|"
    r"autoreply|abwesenheitsnotiz|automatische\s+antwort|nicht\s+im\s+b[üu]ro|"
    r"r[ée]ponse\s+automatique|absence\s*[:：]|respuesta\s+autom[áa]tica|fuera\s+de\s+la\s+oficina|"
    r"resposta\s+autom[áa]tica|fora\s+do\s+escrit[óo]rio|risposta\s+automatica|fuori\s+ufficio|"
    r"automatisch\s+antwoord|afwezigheidsmelding|odpowied[źz]\s+automatyczna|poza\s+biurem|"
    r"автоответ|автоматический\s+ответ|вне\s+офиса|otomatik\s+yan[ıi]t|ofis\s+d[ıi]ş[ıi]nda|"
    r"automatiskt\s+svar|fr[åa]nvaro\s*[:：]|automatisk\s+svar|frav[æa]r\s*[:：]|automaattinen\s+vastaus|"
    r"automatick[áa]\s+odpov[ěe][ďd]|automatikus\s+v[áa]lasz|αυτόματη\s+απάντηση|"
    r"自动回复|自動回覆|自动答复|自動回復|自動応答|自動返信|不在(の)?(お知らせ|通知)|자동\s*응답|부재\s*중\s*[:：]|"
    r"رد\s+تلقائي|תשובה\s+אוטומטית|trả\s+lời\s+tự\s+động|balasan\s+otomatis|"
    r"undelivered\s+mail\s+returned|(undeliverable|unzustellbar|non\s+remis|no\s+se\s+puede\s+entregar|niet\s+bezorgd|"
    r"不能送达|无法投递|退信)\s*[:：]|delivery\s+status\s+notification|delivery\s+has\s+failed|mail\s+delivery\s+(failed|failure|subsystem)|"
    r"returned\s+mail\s*[:：]|failure\s+notice|系统退信)",
    re.IGNORECASE,
)
