"""Text normalisation shared by training and matching.

Training examples and incoming messages go through the same function, so a
buyer's "pls tell me wen u ship" meets "please tell me when you ship".
"""

from __future__ import annotations

import re
import unicodedata

# Buyer shorthand seen in chats, expanded to the words the examples use.
SHORTHAND = {
    "pls": "please", "plz": "please", "plez": "please", "pleas": "please", "pl": "please",
    "u": "you", "ya": "you", "yu": "you", "ur": "your", "yr": "your", "r": "are",
    "thx": "thanks", "tks": "thanks", "tnx": "thanks", "thnx": "thanks", "thanx": "thanks",
    "ty": "thank you", "tq": "thank you", "tysm": "thank you so much",
    "pkg": "package", "pkge": "package", "pck": "package", "parcl": "parcel",
    "asap": "as soon as possible", "wat": "what", "wht": "what", "wen": "when", "whn": "when",
    "hw": "how", "hv": "have", "cuz": "because", "coz": "because", "bcz": "because", "bc": "because",
    "smth": "something", "sth": "something", "msg": "message", "qty": "quantity",
    "addr": "address", "adress": "address", "rcv": "receive", "recv": "receive", "rcvd": "received",
    "recieve": "receive", "recieved": "received", "b4": "before", "tmrw": "tomorrow", "tmr": "tomorrow",
    "abt": "about", "cud": "could", "wud": "would", "shud": "should", "pic": "picture", "pics": "pictures",
    "im": "i am", "dont": "do not", "doesnt": "does not", "didnt": "did not", "cant": "can not",
    "wont": "will not", "isnt": "is not", "havent": "have not", "hasnt": "has not", "cannot": "can not",
    "n't": "not", "ok": "okay", "k": "okay", "kk": "okay", "hi": "hello", "hii": "hello", "hey": "hello",
    "trackin": "tracking", "tracknig": "tracking", "shiping": "shipping", "shippin": "shipping",
    "oder": "order", "ordr": "order", "refound": "refund", "retrun": "return", "cancle": "cancel",
    "cancell": "cancel", "canceled": "cancelled", "delivary": "delivery", "dilivery": "delivery",
    "recived": "received", "payed": "paid", "bcs": "because", "pymt": "payment", "pmt": "payment",
    "w/": "with", "w/o": "without", "pp": "paypal", "wu": "western union", "cc": "credit card",
    "dhl": "dhl", "nd": "and", "n": "and", "y": "why", "wanna": "want to", "gonna": "going to",
    "gimme": "give me", "lemme": "let me", "bday": "birthday", "xmas": "christmas",
}

_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_WORD = re.compile(r"[^\w]+")
_DIGITS = re.compile(r"\d+")
_SPACES = re.compile(r"\s+")

# Matching never needs more than the start of a message; a 100 KB paste must stay cheap.
MAX_CHARS = 600


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


# Courtesy words at the start or end of a message ("Hi, do you ship to Chile? thanks")
# say nothing about what the buyer wants; they are dropped when enough is left.
_LEADING = {"hello", "hi", "hey", "hallo", "hola", "dear", "good", "morning", "afternoon", "evening", "day",
            "sir", "madam", "maam", "seller", "friend", "team", "support", "greetings", "there", "all", "guys"}
_TRAILING = {"thanks", "please", "regards", "cheers", "okay", "thx"}
_TRAILING_PAIRS = {("thank", "you"), ("in", "advance"), ("a", "lot"), ("so", "much"), ("very", "much"),
                   ("best", "regards"), ("kind", "regards")}
_MIN_LEFT = 3


def strip_courtesy(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start] in _LEADING:
        start += 1
    while end > start:
        if words[end - 1] in _TRAILING:
            end -= 1
        elif end - start >= 2 and (words[end - 2], words[end - 1]) in _TRAILING_PAIRS:
            end -= 2
        else:
            break
    kept = words[start:end]
    return kept if len(kept) >= _MIN_LEFT else words


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation, fold digits, expand shorthand."""
    text = unicodedata.normalize("NFKC", text[: MAX_CHARS * 2]).casefold()
    text = strip_accents(text)
    text = _APOSTROPHES.sub("", text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    text = _DIGITS.sub("0", text)
    words = " ".join(SHORTHAND.get(word, word) for word in text.split()).split()
    return " ".join(strip_courtesy(words))[:MAX_CHARS]
