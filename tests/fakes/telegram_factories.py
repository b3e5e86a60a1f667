"""Builders for incoming Telegram updates in the real Bot API JSON shape.

Feed them to ``FakeTelegram.push_update`` (polling) or ``Update.de_json`` (unit tests).
Ids come from module-wide counters so every call yields fresh, increasing ids; dates are
the current unix time.  Private chats use chat_id == user_id, as Telegram does.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

DEFAULT_CHAT_ID = 424242
DEFAULT_FIRST_NAME = "Alice"
BOT_ID = 123456  # matches telegram_api.DEFAULT_TOKEN
BOT_USERNAME = "kefu_test_bot"

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)
_other_ids = itertools.count(1)


def _user(user_id: int, first_name: str, language_code: str | None) -> dict[str, Any]:
    user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
    if language_code:
        user["language_code"] = language_code
    return user


def _private_update(
    content: dict[str, Any], chat_id: int, user_id: int | None, first_name: str,
    language_code: str | None, update_id: int | None, message_id: int | None,
) -> dict[str, Any]:
    """Wrap message content in a private-chat message + update envelope."""
    user = _user(user_id or chat_id, first_name, language_code)
    chat = {"id": chat_id, "type": "private", "first_name": first_name}
    message = {"message_id": message_id or next(_message_ids), "from": user, "chat": chat,
               "date": int(time.time()), **content}
    return {"update_id": update_id or next(_update_ids), "message": message}


def _file_meta(prefix: str, size: int) -> dict[str, Any]:
    n = next(_other_ids)
    return {"file_id": f"{prefix}-file-{n}", "file_unique_id": f"{prefix}-u{n}", "file_size": size}


def _text_content(text: str) -> dict[str, Any]:
    content: dict[str, Any] = {"text": text}
    if text.startswith("/"):  # Telegram marks commands; PTB's CommandHandler relies on it
        command = text.split()[0]
        content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
    return content


def private_text_update(
    text: str, chat_id: int = DEFAULT_CHAT_ID, user_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME, language_code: str | None = "en",
    update_id: int | None = None, message_id: int | None = None,
) -> dict[str, Any]:
    """A user typing ``text`` in a private chat (``/start`` etc. get a bot_command entity)."""
    return _private_update(_text_content(text), chat_id, user_id, first_name, language_code,
                           update_id, message_id)


def photo_update(
    caption: str | None = None, chat_id: int = DEFAULT_CHAT_ID, user_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME, language_code: str | None = "en",
    update_id: int | None = None, message_id: int | None = None,
) -> dict[str, Any]:
    """A photo: Telegram sends several sizes, smallest first."""
    sizes = [{**_file_meta("photo", 1500), "width": 90, "height": 67},
             {**_file_meta("photo", 45000), "width": 800, "height": 600}]
    content: dict[str, Any] = {"photo": sizes}
    if caption:
        content["caption"] = caption
    return _private_update(content, chat_id, user_id, first_name, language_code, update_id,
                           message_id)


def sticker_update(
    emoji: str = "👍", set_name: str | None = "KefuTestStickers", chat_id: int = DEFAULT_CHAT_ID,
    user_id: int | None = None, first_name: str = DEFAULT_FIRST_NAME,
    language_code: str | None = "en", update_id: int | None = None, message_id: int | None = None,
) -> dict[str, Any]:
    sticker = {**_file_meta("sticker", 20000), "type": "regular", "width": 512, "height": 512,
               "is_animated": False, "is_video": False, "emoji": emoji}
    if set_name:
        sticker["set_name"] = set_name
    return _private_update({"sticker": sticker}, chat_id, user_id, first_name, language_code,
                           update_id, message_id)


def voice_update(
    duration: int = 3, chat_id: int = DEFAULT_CHAT_ID, user_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME, language_code: str | None = "en",
    update_id: int | None = None, message_id: int | None = None,
) -> dict[str, Any]:
    voice = {**_file_meta("voice", 6000 * duration), "duration": duration,
             "mime_type": "audio/ogg"}
    return _private_update({"voice": voice}, chat_id, user_id, first_name, language_code,
                           update_id, message_id)


def document_update(
    file_name: str = "invoice.pdf", mime_type: str = "application/pdf",
    caption: str | None = None, chat_id: int = DEFAULT_CHAT_ID, user_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME, language_code: str | None = "en",
    update_id: int | None = None, message_id: int | None = None,
) -> dict[str, Any]:
    document = {**_file_meta("document", 52000), "file_name": file_name, "mime_type": mime_type}
    content: dict[str, Any] = {"document": document}
    if caption:
        content["caption"] = caption
    return _private_update(content, chat_id, user_id, first_name, language_code, update_id,
                           message_id)


def callback_query_update(
    data: str, chat_id: int = DEFAULT_CHAT_ID, user_id: int | None = None,
    first_name: str = DEFAULT_FIRST_NAME, language_code: str | None = "en",
    message_id: int | None = None, message_text: str = "Please choose:",
    update_id: int | None = None,
) -> dict[str, Any]:
    """A user pressing an inline button with ``callback_data=data`` under a bot message."""
    user = _user(user_id or chat_id, first_name, language_code)
    bot = {"id": BOT_ID, "is_bot": True, "first_name": "Kefu Test Bot", "username": BOT_USERNAME}
    button = {"text": data, "callback_data": data}
    message = {"message_id": message_id or next(_message_ids), "from": bot,
               "chat": {"id": chat_id, "type": "private", "first_name": first_name},
               "date": int(time.time()), "text": message_text,
               "reply_markup": {"inline_keyboard": [[button]]}}
    query = {"id": str(4_000_000_000 + next(_other_ids)), "from": user, "message": message,
             "chat_instance": f"-{chat_id}7", "data": data}
    return {"update_id": update_id or next(_update_ids), "callback_query": query}


def group_topic_message_update(
    text: str, chat_id: int, thread_id: int, user_id: int = 777001,
    first_name: str = DEFAULT_FIRST_NAME, language_code: str | None = "en",
    chat_title: str = "Kefu Support", topic_name: str = "Ticket",
    update_id: int | None = None, message_id: int | None = None,
) -> dict[str, Any]:
    """A message inside a forum topic of a supergroup (e.g. an agent answering a ticket).

    As in real updates, it carries message_thread_id, is_topic_message and a
    reply_to_message pointing at the topic's forum_topic_created service message.
    """
    user = _user(user_id, first_name, language_code)
    chat = {"id": chat_id, "type": "supergroup", "title": chat_title, "is_forum": True}
    now = int(time.time())
    topic_root = {"message_id": thread_id, "from": user, "chat": chat, "date": now,
                  "message_thread_id": thread_id, "is_topic_message": True,
                  "forum_topic_created": {"name": topic_name, "icon_color": 7322096}}
    message = {"message_id": message_id or next(_message_ids), "from": user, "chat": chat,
               "date": now, "message_thread_id": thread_id, "is_topic_message": True,
               "reply_to_message": topic_root, **_text_content(text)}
    return {"update_id": update_id or next(_update_ids), "message": message}
