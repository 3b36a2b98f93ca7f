"""The reference: FastAPI on the same uvicorn settings, routes that only parse the body."""

from __future__ import annotations

import json

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
app = FastAPI(title="bare")


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.post("/webhooks/telegram")
async def telegram(request: Request) -> Response:
    json.loads(await request.body())
    return JSONResponse({"ok": True})


@app.post("/webhooks/twilio/sms")
async def sms(request: Request) -> Response:
    await request.form()
    return Response(EMPTY_TWIML, media_type="application/xml")
