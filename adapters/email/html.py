"""HTML mail → plain text, with quoted history marked "> " like a plain-text quote and marked signatures left out.

inscriptis does the conversion (layout-aware: blocks, lists, tables, entities,
hidden parts); lxml finds the containers mail programs put the quoted letter in
(<blockquote>, Gmail's `gmail_quote`, Yahoo's `yahoo_quoted`, Thunderbird's
`moz-cite-prefix`…) so that `text.py` treats them as quotes wherever they are.
"""

from __future__ import annotations

import re

from inscriptis import Inscriptis
from inscriptis.model.config import ParserConfig
from lxml import etree
from lxml import html as lxml_html

from adapters.email.lines import tidy

_CONFIG = ParserConfig(display_links=False, display_images=False)
_QUOTES = etree.XPath(
    "//blockquote | //*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
    " | //*[contains(@class, 'yahoo_quoted')] | //*[contains(@class, 'protonmail_quote')]"
    " | //*[contains(@class, 'moz-cite-prefix')] | //*[@id='isReplyContent'] | //*[@id='isForwardContent']"
    " | //*[contains(@class, 'ms-outlook-mobile-reference-message')] | //*[@id='mail-editor-reference-message-container']"
    " | //*[contains(@class, 'zmail_extra')]"
)
# Signatures the mail program marks as such: Gmail, Outlook on the web, Thunderbird, Apple Mail, Yahoo.
_SIGNATURES = etree.XPath(
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' gmail_signature ')] | //*[@id='Signature']"
    " | //*[contains(@class, 'moz-signature')] | //*[@id='AppleMailSignature'] | //*[contains(@class, 'yahoo-signature')]"
)
_HIDDEN = etree.XPath("//*[contains(translate(@style, ' ', ''), 'display:none')] | //head | //style | //script")


def html_to_text(html: str) -> str:
    """Readable text from HTML: tags gone, entities decoded, paragraphs and line breaks kept."""
    try:
        tree = lxml_html.fromstring(html)
    except (etree.ParserError, ValueError):  # empty, or only a comment: nothing to read
        return tidy(re.sub(r"<[^>]*>", " ", html))
    for element in _HIDDEN(tree) + _SIGNATURES(tree):
        if element.getparent() is not None:
            element.drop_tree()
    for element in _QUOTES(tree):
        if element.getroottree().getroot() is not tree or element is tree:  # already inside a quote replaced above
            continue
        lines = _convert(element).split("\n")
        quoted = lxml_html.Element("pre")
        quoted.text = "\n".join(f"> {line}" if line else ">" for line in lines)
        quoted.tail = element.tail
        element.getparent().replace(element, quoted)
    return _convert(tree)


def _convert(element: etree._Element) -> str:
    text = Inscriptis(element, _CONFIG).get_text().replace("\xa0", " ")
    return tidy("\n".join(line.strip() for line in text.split("\n")))
