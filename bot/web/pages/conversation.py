"""One conversation: the whole history (each buyer message also in the agent's language, the bot's
answers with their intent and score), the buyer's orders and culture note, the actions (claim,
release, close, assign) and the reply with its translation preview. Everything an agent does goes
through the channel-free desk (bot/desk/actions.py) and so through the one state machine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from bot.desk.actions import DeskError
from bot.desk.culture import likely_country
from bot.message import Style
from bot.language.translate import localize
from bot.web import present
from bot.web.auth import require_agent
from bot.web.i18n import N_, interface
from replies.render import answer_body

# Shown in the page; anything else is a download (never rendered by the browser as a page).
INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
# Only files an attachment store wrote (…/ab/ab12…-name, see adapters/email/files.py): a path
# that came in some other way (a raw payload naming /etc/passwd) is never served.
KEPT = re.compile(r"(?P<d>[0-9a-f]{2})/(?P=d)[0-9a-f]{30}-[\w.-]+")
HISTORY = 100  # the latest messages shown; "show all" shows the whole history
DONE = {
    "claimed": N_("You have this conversation now; the buyer was told a person joined."),
    "released": N_("Given back to the bot; the buyer was told."),
    "closed": N_("Closed: back to the bot, nothing sent to the buyer."),
    "assigned": N_("Assigned."),
    "sent": N_("Sent to the buyer."),
}


def _id(request: Request) -> int:
    try:
        return int(request.path_params["conversation"])
    except ValueError:
        raise HTTPException(404, N_("no such conversation")) from None


def files_of(message: Any) -> list[dict[str, Any]]:
    """The attachments a message's raw payload lists (name, type, size, and where the file is)."""
    raw = message.raw if isinstance(message.raw, dict) else {}
    files = raw.get("attachments")
    return [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []


async def history(web: Any, desk: Any, messages: list[Any]) -> list[dict[str, Any]]:
    """Each message as the page shows it, the buyer's with their words in the agent's language."""
    analysis = {m.id: m for m in messages if m.direction == "in"}
    shown = []
    for message in messages:
        translated = await desk.in_agent_language(message)
        answered = analysis.get(message.reply_to) if message.reply_to else None
        shown.append({
            "m": message, "translated": translated, "files": files_of(message),
            "intent": message.intent or (answered.intent if answered else None),
            "score": answered.score if answered is not None else message.score,
        })
    return shown


def routes(web: Any) -> list[Route]:
    async def page(request: Request, user: Any, status_code: int = 200, **extra: Any) -> Response:
        conversation_id = _id(request)
        desk = web.desk(user.language)
        conversation = await web.store.conversation(conversation_id)
        if conversation is None:
            raise HTTPException(404, N_("no such conversation"))
        ui = interface(user.language)
        now = web.clock()
        everything = request.query_params.get("all") == "1"
        messages, total = await web.store.recent_messages(conversation_id, None if everything else HISTORY)
        place = present.whereabouts(ui, conversation, now)
        last_in = max((m.created_at for m in messages if m.direction == "in"), default=None)
        last_agent = max((m.created_at for m in messages if m.direction == "agent"), default=None)
        waited = present.waited(conversation, last_in, last_agent, now)
        country, _ = likely_country(conversation.country, conversation.timezone, conversation.language or "en")
        done = request.query_params.get("done")
        context = {
            "c": conversation, "place": place, "state": present.state(ui, conversation),
            "reason": present.reason(ui, conversation.handoff_reason), "channel": present.channel(ui, conversation.channel),
            "waited": present.duration(ui, waited) if waited is not None else None,
            "history": await history(web, desk, messages), "orders": await web.store.orders_of(conversation.buyer),
            "culture": desk.culture.get(country) if country else None,
            "colleagues": [a.name for a in await web.store.accounts() if not a.disabled and a.name != user.name],
            "canned": sorted(web.kefu.brains.brain.answers.reference.answers), "live": "/events",
            "earlier": total - len(messages),
            "notice": ui(DONE[done]) if done in DONE else None, **extra,
        }
        template = "conversation_live.html" if request.headers.get("x-live") else "conversation.html"
        return web.render(request, template, status_code=status_code, **context)

    @require_agent
    async def show(request: Request, user: Any) -> Response:
        return await page(request, user)

    def action(name: str, done: str) -> Any:
        @require_agent
        async def act(request: Request, user: Any) -> Response:
            conversation_id = _id(request)
            desk = web.desk(user.language)
            try:
                if name == "assign":
                    to = str((await request.form()).get("to", "")).strip()
                    target = await web.store.account(to)
                    if target is None or target.disabled:
                        raise DeskError(f"no colleague {to!r} to assign to")
                    await desk.assign(conversation_id, user.name, to)
                else:
                    await getattr(desk, name)(conversation_id, user.name)
            except DeskError as refused:
                return await page(request, user, status_code=409, problem=present.refusal(interface(user.language), str(refused)))
            return RedirectResponse(f"/c/{conversation_id}?done={done}", status_code=303)

        act.__name__ = name
        return act

    @require_agent
    async def reply(request: Request, user: Any) -> Response:
        """Preview (translation and back), send, or send anyway what was held back for warnings."""
        conversation_id = _id(request)
        form = await request.form()
        text, what = str(form.get("text", "")), str(form.get("action", "preview"))
        translate = form.get("as_written") != "1"
        desk = web.desk(user.language)
        draft = {"text": text, "as_written": not translate}
        try:
            if what == "preview":
                return await page(request, user, draft=draft, preview=await desk.preview(conversation_id, text, translate=translate))
            shown = str(form.get("shown", "")) if what == "send_anyway" and translate else None
            sent = await desk.reply(conversation_id, user.name, text, translate=translate, confirm=what == "send_anyway",
                                    shown=shown or None)
        except DeskError as refused:
            return await page(request, user, status_code=409, problem=present.refusal(interface(user.language), str(refused)), draft=draft)
        if sent.text is None:  # held back for its warnings: shown, with "send anyway"
            return await page(request, user, draft=draft, preview=sent, held=True)
        return RedirectResponse(f"/c/{conversation_id}?done=sent", status_code=303)

    @require_agent
    async def canned(request: Request, user: Any) -> Response:
        """A canned answer in the buyer's language (sent as written), and in the agent's to read."""
        conversation = await web.store.conversation(_id(request))
        intent = request.query_params.get("intent", "")
        book = web.kefu.brains.brain.answers
        if conversation is None or intent not in book.reference.answers:
            raise HTTPException(404, N_("no such canned answer"))
        language = conversation.language or "en"
        rendered = answer_body(book, intent, language, Style.CHAT)
        assert rendered is not None
        translator = web.kefu.pipeline.translator
        buyer = await localize(translator, rendered.text, rendered.language, language)
        mine = await localize(translator, rendered.text, rendered.language, user.language)
        return JSONResponse({"text": buyer or rendered.text, "language": language if buyer else rendered.language,
                             "agent": mine or rendered.text})

    @require_agent
    async def attachment(request: Request, user: Any) -> Response:
        """A file a buyer sent: images shown, anything else downloaded; never rendered as a page."""
        message = await web.store.message(int(request.path_params["message"]))
        if message is None or message.conversation_id != _id(request):
            raise HTTPException(404, N_("no such file"))
        files = files_of(message)
        number = int(request.path_params["number"])
        entry = files[number] if 0 <= number < len(files) else None
        path = Path(str(entry.get("path"))) if entry and entry.get("path") else None
        if path is None or not KEPT.fullmatch(f"{path.parent.name}/{path.name}") or not path.is_file():
            raise HTTPException(404, N_("no such file"))
        declared = str(entry.get("content_type", "")).lower()
        inline = declared in INLINE_IMAGES
        return FileResponse(
            path, media_type=declared if inline else "application/octet-stream",
            filename=str(entry.get("filename") or path.name), content_disposition_type="inline" if inline else "attachment",
            headers={"Content-Security-Policy": "default-src 'none'; sandbox"},
        )

    return [
        Route("/c/{conversation:int}", show, methods=["GET"]),
        Route("/c/{conversation:int}/claim", action("claim", "claimed"), methods=["POST"]),
        Route("/c/{conversation:int}/release", action("release", "released"), methods=["POST"]),
        Route("/c/{conversation:int}/close", action("close", "closed"), methods=["POST"]),
        Route("/c/{conversation:int}/assign", action("assign", "assigned"), methods=["POST"]),
        Route("/c/{conversation:int}/reply", reply, methods=["POST"]),
        Route("/c/{conversation:int}/canned", canned, methods=["GET"]),
        Route("/c/{conversation:int}/files/{message:int}/{number:int}", attachment, methods=["GET"]),
    ]
