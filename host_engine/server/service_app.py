"""`host-engine service`: the studio's service. Today the OpenAI-compatible audio API (server/openai_audio.py);
every route needs the access token (server/auth.py), and a request body is capped at an audio upload's size."""

from __future__ import annotations

from fastapi import FastAPI

from host_engine.engines import Engines
from host_engine.server.auth import Access, protect
from host_engine.server.openai_audio import MAX_UPLOAD_BYTES, audio_routes, openai_errors


def create_service_app(access: Access, engines: Engines | None = None) -> FastAPI:
    app = FastAPI(title="host-engine service")
    protect(app, access, max_body=MAX_UPLOAD_BYTES)
    openai_errors(app)
    app.include_router(audio_routes(engines or Engines()))
    return app
