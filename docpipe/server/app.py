"""The FastAPI app: the /api routes behind the token, the viewer at /, docs at /docs.

Nothing is fetched at run time: the viewer is plain files in static/, and /docs uses the
Swagger UI files of the swagger-ui-bundle package when it is installed (else /docs says
where the OpenAPI JSON is). CORS stays off: the viewer is served from the same origin.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse
from fastapi.staticfiles import StaticFiles

from docpipe.config import Settings
from docpipe.server import ask, documents, extract
from docpipe.server.security import security_headers, token_guard
from docpipe.server.state import ServerState

STATIC = Path(__file__).parent / "static"


def _swagger_assets() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:
        return None
    path = Path(str(swagger_ui_path))
    return path if (path / "swagger-ui-bundle.js").is_file() else None


def create_app(settings: Settings) -> FastAPI:
    state = ServerState(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        state.close()

    app = FastAPI(
        title="docpipe",
        summary="Upload, ask and extract over HTTP, with page-and-box citations.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.server = state
    app.middleware("http")(security_headers)
    guard = [Depends(token_guard(state.settings.api_token))]
    for module in (documents, ask, extract):
        app.include_router(module.router, dependencies=guard)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, object]:
        return {"status": "ok", "home": state.settings.home.name, "ingesting": len(state.worker.pending())}

    @app.get("/", include_in_schema=False)
    def index() -> FileResponse:
        return FileResponse(STATIC / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    assets = _swagger_assets()
    if assets is not None:
        app.mount("/docs-assets", StaticFiles(directory=assets), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        if assets is None:
            return HTMLResponse(
                "<p>Swagger UI is not installed (pip install swagger-ui-bundle-v2); "
                'the API description is at <a href="/openapi.json">/openapi.json</a>.</p>'
            )
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="docpipe API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/static/favicon.svg",
        )

    return app
