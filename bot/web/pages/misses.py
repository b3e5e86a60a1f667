"""Admins: what the bot could not answer, grouped; one action makes a group an example of an intent.

The action edits the intent files as `kefu intents add-example` does (the English wording in
the file defining the intent, the buyers' own words in their language's folder), then asks for
a retraining, which runs in the background: the bot answers with the previous model until the
new one is ready. The page shows how far it is (`/admin/retraining`, polled by kefu-admin.js).
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.admin.findings import shown_path
from bot.admin.misses import fetch_misses, group_misses
from bot.admin.teach import Lesson, lesson_for, teach
from bot.reload import FAILED, LOADING, TRAINING, WAITING, ReloadStatus
from bot.web.app import Nav, ui_of
from bot.web.auth import require_admin
from bot.web.i18n import N_, Interface
from bot.web.pages._admin import PERIODS, period
from intents.catalog import OUT_OF_SCOPE

NAV = [Nav("/admin/misses", N_("Misses"), "admin", order=60)]
SHOWN = 50  # groups on the page, most frequent first


def retraining_text(status: ReloadStatus, _: Interface, now: datetime) -> str:
    """Where the retraining is, in the admin's language; `now` on the reloader's clock."""
    seconds = round(status.seconds(now) or 0)
    if status.phase == WAITING:
        return _("Retraining will start in a moment; the bot answers with the current model.")
    if status.phase == TRAINING and status.iterations:
        return _("Retraining in the background ({seconds} s, iteration {iteration} of at most {iterations}); the bot answers "
                 "with the previous model until the new one is ready.", seconds=seconds, iteration=status.iteration,
                 iterations=status.iterations)
    if status.phase in (TRAINING, LOADING):
        return _("Retraining in the background ({seconds} s); the bot answers with the previous model until the new one is "
                  "ready.", seconds=seconds)
    if status.phase == FAILED:
        return _("The intent lists do not load, so the bot goes on with the previous model: {error}", error=status.error or "")
    if status.finished_at is not None:
        return _("The model is up to date: {intents} intents, {examples} examples (retrained in {seconds} s).",
                  intents=status.intents, examples=status.examples, seconds=seconds)
    return _("The model is up to date: {intents} intents, {examples} examples.", intents=status.intents, examples=status.examples)


def routes(web: Any) -> list[Route]:
    async def show(request: Request, outcomes: list[Any] | None = None, intent: str | None = None) -> Response:
        chosen, start = period(request, web.clock())
        brain = web.kefu.brains.brain
        # grouping compares every wording and asks the matcher about each group: off the event loop
        groups = await asyncio.to_thread(group_misses, await fetch_misses(web.store, start), brain.matcher)
        status = web.kefu.reloads.status
        return web.render(
            request, "admin_misses.html", periods=PERIODS, chosen=chosen, total=sum(g.count for g in groups),
            groups=[(group, lesson_for(group)) for group in groups[:SHOWN]], more=max(0, len(groups) - SHOWN),
            intents=sorted(brain.intents.ids) + [OUT_OF_SCOPE], taught=intent,
            outcomes=[(o.language, o.text, f"{shown_path(o.added.path)}:{o.added.line}" if o.added else None, o.refused)
                      for o in outcomes or []],
            retraining=retraining_text(status, ui_of(request), web.kefu.reloads.clock()), busy=status.busy,
        )

    @require_admin
    async def misses(request: Request, user: Any) -> Response:
        return await show(request)

    @require_admin
    async def add(request: Request, user: Any) -> Response:
        form = await request.form()
        intent = str(form.get("intent", ""))
        english = str(form.get("english", "")).strip() or None
        originals = tuple((str(language), str(text)) for language, text in zip(form.getlist("language"), form.getlist("original"))
                          if str(text).strip())
        # add_example locks the lists folder: one edit at a time, in this process and across workers
        outcomes = await asyncio.to_thread(teach, web.kefu.settings.intents_dir, intent, Lesson(english, originals))
        if any(outcome.added for outcome in outcomes):
            web.kefu.reloads.request()
        return await show(request, outcomes, intent)

    @require_admin
    async def retraining(request: Request, user: Any) -> Response:
        status = web.kefu.reloads.status
        return JSONResponse({"phase": status.phase, "busy": status.busy,
                             "text": retraining_text(status, ui_of(request), web.kefu.reloads.clock())})

    return [Route("/admin/misses", misses, methods=["GET"]), Route("/admin/misses", add, methods=["POST"]),
            Route("/admin/retraining", retraining, methods=["GET"])]
