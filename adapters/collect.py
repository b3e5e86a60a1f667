"""A channel that collects what the bot sends instead of sending it: for tests, benches and
embedding kefu where another program does the sending (after Rasa's CollectingOutputChannel).

`refuse` scripts failures: each call pops the next exception to raise (None: accept).
"""

from __future__ import annotations

from collections import deque
from typing import Iterable

from adapters.base import Channel, Handler
from bot.message import Style


class CollectingChannel(Channel):
    def __init__(self, name: str, handle: Handler | None = None, *, limit: int | None = None) -> None:
        super().__init__(handle)  # type: ignore[arg-type]
        self.name = name
        self.style = Style.LETTER if name == "email" else Style.CHAT
        self.limit = limit  # longest part accepted; longer texts are split
        self.sent: list[tuple[str, str, bool]] = []  # (conversation, text, by_person)
        self.refusals: deque[BaseException | None] = deque()

    def refuse(self, failures: Iterable[BaseException | None]) -> None:
        self.refusals.extend(failures)

    def split(self, text: str) -> list[str]:
        if self.limit is None:
            return [text]
        return [text[i:i + self.limit] for i in range(0, len(text), self.limit)] or [text]

    async def serve(self) -> None:
        raise NotImplementedError("a collecting channel receives nothing; hand messages to the pipeline")

    async def send_text(self, conversation: str, text: str, *, by_person: bool = False, language: str | None = None) -> None:
        if self.refusals:
            failure = self.refusals.popleft()
            if failure is not None:
                raise failure
        self.sent.append((conversation, text, by_person))

    def texts(self, conversation: str | None = None) -> list[str]:
        return [text for chat, text, _ in self.sent if conversation is None or chat == conversation]
