"""Reading real mail: what the buyer wrote, who they are, which thread, which language and time zone."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from adapters.email.channel import thread_of, to_message
from adapters.email.out import compose
from adapters.email.parse import conversation_in, parse_mail, reply_message_id
from adapters.email.html import html_to_text
from adapters.email.text import new_text
from bot.message import Kind
from tests.mail_factories import (
    BUYER, alternative_mail, html_mail, new_message_id, outlook_reply, plain_mail, reply_mail, with_attachment,
)

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=timezone.utc)


def test_a_plain_question_keeps_sender_subject_and_thread():
    message_id = new_message_id()
    mail = parse_mail(plain_mail("How long does delivery take to Spain?", "Delivery", message_id=message_id,
                                 sender="Ana.Lopez@Example.ES"))
    assert (mail.sender, mail.sender_name, mail.subject) == (BUYER, "Ana López", "Delivery")
    assert mail.text == "How long does delivery take to Spain?"
    assert mail.external_id == mail.conversation == message_id
    assert mail.timezone == "+01:00" and mail.language is None


@pytest.mark.parametrize("charset", ["koi8-r", "windows-1251", "utf-8"])
def test_russian_in_any_charset_with_its_language_hint(charset):
    mail = parse_mail(plain_mail("Сколько идёт доставка в Москву?", "Доставка", charset=charset,
                                 headers={"Content-Language": "ru-RU, en"}))
    assert mail.text == "Сколько идёт доставка в Москву?"
    assert mail.subject == "Доставка" and mail.language == "ru-RU"


def test_alternative_mail_prefers_the_plain_part():
    mail = parse_mail(alternative_mail("Plain: do you ship to Chile?", "<p>HTML: do you ship to <b>Chile</b>?</p>"))
    assert mail.text == "Plain: do you ship to Chile?" and not mail.html_only


def test_html_only_mail_becomes_readable_text():
    html = (
        "<html><head><style>p {color: red}</style><script>alert(1)</script></head><body>"
        "<p>Hello&nbsp;team &amp; thanks,</p><div>Is the jacket cotton?<br>Size M, please.</div>"
        "<ul><li>red</li><li>blue</li></ul><p>Caf&eacute; &#8364;5 &lt;ok&gt;</p></body></html>"
    )
    mail = parse_mail(html_mail(html))
    assert mail.html_only
    assert mail.text == "Hello team & thanks,\n\nIs the jacket cotton?\nSize M, please.\n* red\n* blue\n\nCafé €5 <ok>"


def test_a_gmail_reply_keeps_only_the_new_text_and_finds_the_root():
    root, parent = new_message_id(), new_message_id()
    mail = parse_mail(reply_mail("Great, and can I pay by card?", "Dear Ana,\nDelivery takes 25–60 days.", root=root, parent=parent))
    assert mail.text == "Great, and can I pay by card?"
    assert "Delivery takes 25–60 days" in mail.full_text
    assert mail.conversation == root and mail.in_reply_to == parent


def test_an_outlook_reply_drops_the_original_message():
    mail = parse_mail(outlook_reply("Where is my parcel?", "Dear Ana, it was sent.", root=new_message_id()))
    assert mail.text == "Where is my parcel?"


@pytest.mark.parametrize("text", [
    "Wo ist mein Paket?\n\nVon: Sunrise Trading <shop@example.test>\nGesendet: Montag, 23. November 2026 11:02\n"
    "An: Ana\nBetreff: AW: Frage\n\nSehr geehrte Ana,",
    "Wo ist mein Paket?\n\nAm Mo., 23. Nov. 2026 um 11:02 Uhr schrieb Sunrise Trading <shop@example.test>:\n> Hallo",
    "Wo ist mein Paket?\n\nLe lun. 23 nov. 2026 à 11:02, Sunrise Trading <shop@example.test> a écrit :\n> Bonjour",
    "Wo ist mein Paket?\n\nEl lun, 23 nov 2026 a las 11:02, Sunrise Trading (<shop@example.test>) escribió:\n> Hola",
    "Wo ist mein Paket?\n\nОт: Sunrise Trading <shop@example.test>\nОтправлено: 23 ноября 2026 г. 11:02\n"
    "Кому: Ana\nТема: Re: Вопрос\n\nЗдравствуйте",
    "Wo ist mein Paket?\n\n23.11.2026, 11:02, \"Sunrise Trading\" <shop@example.test>:\n> Здравствуйте",
    "Wo ist mein Paket?\n\nOn Mon, 23 Nov 2026 at 11:02, Sunrise Trading <\nshop@example.test> wrote:\n> Hello",
    "Wo ist mein Paket?\n\n________________________________\nDe: Sunrise Trading <shop@example.test>\n"
    "Enviado: segunda-feira, 23 de novembro de 2026 11:02\nPara: Ana",
], ids=["outlook-de", "gmail-de", "gmail-fr", "gmail-es", "outlook-ru", "yandex", "gmail-wrapped", "outlook-web-pt"])
def test_quoted_history_in_many_languages_is_cut(text):
    assert new_text(text) == "Wo ist mein Paket?"


@pytest.mark.parametrize("text", [
    "Do you ship to Spain?\n-- \nAna López\nLópez Moda S.L.\n+34 600 000 000",
    "Do you ship to Spain?\n\nSent from my iPhone",
    "Do you ship to Spain?\n\nОтправлено с iPhone",
    "Do you ship to Spain?\n\nGet Outlook for Android",
])
def test_signatures_are_cut(text):
    assert new_text(text) == "Do you ship to Spain?"


def test_the_buyers_own_words_are_not_mistaken_for_quotes():
    text = "It was sent via DHL last week.\nOn Monday I wrote to you but nobody answered.\nFrom: Spain, to: Madrid."
    assert new_text(text) == text


def test_answers_written_between_quoted_lines_are_kept():
    text = "> Which size do you need?\nSize M\n> Which colour?\nRed, please"
    assert new_text(text) == "Size M\nRed, please"


def test_format_flowed_lines_are_joined():
    raw = (b"From: a@example.com\r\nMessage-ID: <f@example.com>\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\n"
           b"\r\nHow long does delivery take \r\nto Spain?\r\n")
    assert parse_mail(raw).text == "How long does delivery take to Spain?"


def test_attachments_are_noted_and_a_photo_alone_is_a_photo():
    photo = parse_mail(with_attachment(None, "broken-cup.jpg", b"\xff\xd8\xff" * 10, "image", "jpeg"))
    noted = parse_mail(with_attachment("The cup arrived broken, see photo.", "cup.jpg", b"\xff\xd8", "image", "jpeg"))
    invoice = parse_mail(with_attachment(None, "invoice.pdf", b"%PDF-1.4", "application", "pdf", subject="Re: Order"))
    assert to_message(photo, NOW).kind is Kind.PHOTO
    assert to_message(invoice, NOW).kind is Kind.FILE
    message = to_message(noted, NOW)
    assert message.kind is Kind.TEXT and message.text == "The cup arrived broken, see photo."
    assert message.raw["attachments"] == [{"filename": "cup.jpg", "content_type": "image/jpeg", "size": 2}]


def test_a_question_only_in_the_subject_is_read():
    message = to_message(parse_mail(plain_mail("", "How long does delivery take to Spain?")), NOW)
    assert message.text == "How long does delivery take to Spain?"


def test_mail_without_message_id_gets_a_stable_id_from_its_content():
    first = parse_mail(plain_mail("Do you ship to Chile?", message_id=None))
    again = parse_mail(plain_mail("Do you ship to Chile?", message_id=None))
    other = parse_mail(plain_mail("Do you ship to Peru?", message_id=None))
    assert first.external_id.startswith("sha256:")
    assert first.external_id == again.external_id != other.external_id
    assert first.conversation == first.external_id


def test_our_message_ids_lead_back_to_the_conversation():
    conversation = new_message_id()
    ours = reply_message_id(conversation, "example.test", "1f3a")
    assert conversation_in(ours) == conversation
    mail = parse_mail(plain_mail("Thanks!", headers={"In-Reply-To": ours}))
    assert mail.conversation == conversation


@pytest.mark.parametrize("offset, expected", [
    (timedelta(hours=-5), "-05:00"), (timedelta(hours=5, minutes=30), "+05:30"), (timedelta(0), "+00:00"),
])
def test_the_date_header_gives_the_buyers_utc_offset(offset, expected):
    mail = parse_mail(plain_mail("Hi", at=datetime(2026, 11, 24, 9, 0, tzinfo=timezone(offset))))
    assert mail.timezone == expected


def test_an_unknown_zone_is_not_guessed():
    raw = plain_mail("Hi").replace(b"+0100", b"-0000")
    assert parse_mail(raw).timezone is None


@pytest.mark.parametrize("raw", [
    b"",
    bytes(range(256)) * 4,
    b"From: <<<\r\nDate: soon\r\nContent-Type: multipart/mixed\r\n\r\n--x\r\nbroken",
    b"From: a@example.com\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\n\xff\xfe\xfdQapla'",
    b"From: =?utf-8?B?w6k=?= <a@example.com>\r\nSubject: \xd0\x94\xd0\xb0\r\nContent-Transfer-Encoding: base64\r\n\r\n!!notbase64",
    b"From: =?utf-8?b?0JjQstgtGA0L7QsiwgSnIu?= <a@example.com>\r\nDate: Mon, 1 Jan 99999999999 00:00 +0000\r\n"
    b"In-Reply-To: <\xd0\x94@x>\r\nContent-Type: text/plain; charset=\"ut\x00f\"\r\n\r\nhi",
], ids=["empty", "binary", "broken-multipart", "unknown-charset", "bad-base64", "garbled-headers"])
def test_broken_mail_is_read_as_far_as_possible_never_raises(raw):
    mail = parse_mail(raw)
    message = to_message(mail, NOW)
    assert isinstance(message.text, str)
    message.text.encode("utf-8")  # nothing the database would choke on
    json.dumps(message.raw).encode("utf-8")
    if mail.sender:  # and whoever can be answered gets a letter that can be sent
        compose(thread_of(mail), "Hello", sender="shop@example.test", sender_name="Shop", at=NOW).as_bytes()


def test_raw_8bit_headers_are_read_as_utf8():
    mail = parse_mail(b"From: a@example.com\r\nSubject: \xd0\x94\xd0\xb0\r\n\r\nhi")
    assert mail.subject == "Да"


def test_html_with_broken_markup_still_gives_text():
    assert html_to_text("<div>Where is <b>my order?</div><p>Thanks") == "Where is my order?\n\nThanks"


@pytest.mark.parametrize("body, words", [
    ("On 23.11.2026 11:02, Shop wrote:\n> Delivery takes 25-60 days.\n\nDo you ship to Portugal?", "Do you ship to Portugal?"),
    ("> Delivery takes 25-60 days.\nToo long. Express?\n> Kind regards,\n> Shop", "Too long. Express?"),
    ("At 11:02 23.11.2026, you wrote:\n> Delivery takes 25-60 days.\n\nIs tax included?", "Is tax included?"),
    ("هل يمكنني الدفع؟\n\n\u200fفي الاثنين، 23 نوفمبر 2026، \u202bShop\u202c <\u200eshop@example.test\u200e> كتب:\u200f\n> نص", "هل يمكنني الدفع؟"),
    ("Please check.\n\n---------- Forwarded message ---------\nFrom: Shop <shop@example.test>\nYour order shipped.", "Please check."),
    ("発送はいつですか？\n\n==========\n山田 太郎\nTEL: 03-1234-5678\n==========", "発送はいつですか？"),
    ("On Mon, 23 Nov 2026, Ana <ana@example.es> wrote:\n> How long does delivery take?", "How long does delivery take?"),
    ("看到后告诉我是否需要调整。\n\n——————————————\n\n小满\n活动协调人", "看到后告诉我是否需要调整。"),
])
def test_the_new_words_are_found_wherever_they_are(body, words):
    assert new_text(body) == words


@pytest.mark.parametrize("body", [
    "Hello,\nwhere is my parcel?\nOrder 1234567890",
    "Hi, I paid already.\nMy PayPal is ana@example.es",
    "This email is about order 1047, which arrived broken. What can you do about it? I want a refund.",
    "发自深圳的包裹什么时候到？",
    "나의 주문은 어디에 있나요?",
    "Quoting your website: free shipping over 50 EUR.\nIs that true?",
    "Here is my question\n\nSent from my desk, which is much easier than my mobile phone.",
])
def test_a_buyers_own_lines_are_never_taken_for_a_signature_or_footer(body):
    assert new_text(body) == body


@pytest.mark.parametrize("attribution", [
    "pon., 23 lis 2026 o 11:02 Sunrise Trading <shop@example.test> napisał(a):",
    "Sunrise Trading <shop@example.test>, 23 Kas 2026 Pzt, 11:02 tarihinde şunu yazdı:",
    "Le lun. 23 nov. 2026 à 11:02, Sunrise Trading <shop@example.test> a écrit :",
    "Sunrise Trading <shop@example.test> 于2026年11月23日周一 11:02写道：",
    "2026년 11월 23일 (월) 오전 11:02, Sunrise Trading <shop@example.test>님이 작성:",
    "Am 23.11.26 um 11:02 schrieb Sunrise Trading:",
])
def test_gmail_and_thunderbird_attributions_in_many_languages_are_cut(attribution):
    assert new_text(f"Thanks!\n\n{attribution}\n> Delivery takes 25-60 days.") == "Thanks!"


@pytest.mark.parametrize("html", [
    '<div dir="ltr">Is it waterproof?<br clear="all"><div><br></div>-- <br><div class="gmail_signature">Ana López<br>+34 600 000 000</div></div>',
    '<div>Is it waterproof?</div><div id="Signature"><p>Ana López | Compras | Tel. 600 000 000</p></div>'
    '<div id="mail-editor-reference-message-container"><b>From:</b> Shop<br><b>Sent:</b> Monday<br>Delivery takes 25-60 days.</div>',
    '<div>Is it waterproof?<br><br><div id="AppleMailSignature">Enviado desde mi iPhone</div><blockquote type="cite">'
    '<div>El 23 nov 2026, a las 11:02, Shop &lt;shop@example.test&gt; escribió:</div>Delivery takes 25-60 days.</blockquote></div>',
])
def test_html_signatures_and_quotes_the_mail_program_marks_are_left_out(html):
    assert parse_mail(html_mail(html)).text == "Is it waterproof?"
