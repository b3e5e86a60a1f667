"""Admins: `kefu eval` in the browser, on the shipped evaluation set or an uploaded TSV.

The same measures as the command (bot/admin/evaluation.py): top-1 accuracy, out-of-scope
rejection, precision and recall per intent, the most confused pairs, the threshold sweep.
Rows are matched as written, or, when asked, as the bot reads them (language detection and
the English pivot, with the bot's own translator).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.admin.evaluation import evaluate_matches, parse_rows, read_tsv
from bot.conversation.understand import understand
from bot.datafiles import DataError
from bot.web.app import Nav, ui_of
from bot.web.auth import require_admin
from bot.web.i18n import N_

NAV = [Nav("/admin/eval", N_("Evaluation"), "admin", order=62)]
SHIPPED = Path(__file__).resolve().parents[3] / "bench" / "data" / "eval_en.tsv"  # in a source checkout
MAX_UPLOAD = 5_000_000  # bytes: far more rows than anyone labels by hand


def routes(web: Any) -> list[Route]:
    async def matched(rows: list[tuple[str, str]], pivot: bool) -> list[tuple[str, Any]]:
        matcher = web.kefu.brains.brain.matcher
        pipeline = web.kefu.pipeline
        if not pivot:  # as the bot reads a message without a translator: in the language detected
            detect = pipeline.detector.detect
            return await asyncio.to_thread(lambda: [(label, matcher.match(text, detect(text).language))
                                                    for label, text in rows])
        return [(label, (await understand(text, detector=pipeline.detector, translator=pipeline.translator, matcher=matcher)).match)
                for label, text in rows]

    async def rows_of(form: Any, _: Any) -> tuple[str, list[tuple[str, str]]]:
        upload = form.get("file")
        if form.get("source") == "upload":
            if not isinstance(upload, UploadFile) or not upload.filename:
                raise ValueError(_("Choose a TSV file to upload."))
            data = await upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                raise ValueError(_("The file is larger than {size} MB.", size=MAX_UPLOAD // 1_000_000))
            name = Path(upload.filename).name
            return name, [(row.label, row.text) for row in parse_rows(data, Path(name))]
        return SHIPPED.name, read_tsv(SHIPPED)

    @require_admin
    async def page(request: Request, user: Any) -> Response:
        return web.render(request, "admin_eval.html", shipped=SHIPPED.name if SHIPPED.is_file() else None, report=None)

    @require_admin
    async def run(request: Request, user: Any) -> Response:
        form = await request.form(max_part_size=MAX_UPLOAD + 1)
        pivot = form.get("pivot") == "on"
        try:
            source, rows = await rows_of(form, ui_of(request))
        except (ValueError, DataError) as exc:
            return web.render(request, "admin_eval.html", status_code=400, shipped=SHIPPED.name if SHIPPED.is_file() else None,
                              report=None, problem=str(exc))
        report = evaluate_matches(web.kefu.brains.brain.matcher, await matched(rows, pivot))
        return web.render(request, "admin_eval.html", shipped=SHIPPED.name if SHIPPED.is_file() else None, report=report,
                          source=source, pivot=pivot, per_intent=sorted(report.per_intent, key=lambda s: (s.recall, s.precision, s.intent)))

    return [Route("/admin/eval", page, methods=["GET"]), Route("/admin/eval", run, methods=["POST"])]
