"""The website's pages (Georgian at `/`, English at `/en/`) and its JSON for integrators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from meria.runtime import Runtime
from meria.web import request_runtime
from services.website.models import PublishedDocument

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter()
RuntimeDep = Annotated[Runtime, Depends(request_runtime)]

TEXT = {
    "ka": {
        "site": "ახმეტის მუნიციპალიტეტის მერია",
        "latest": "უახლესი პუბლიკაციები",
        "empty": "ჯერ არაფერია გამოქვეყნებული.",
        "other": "English",
        "other_url": "/en/",
    },
    "en": {
        "site": "Akhmeta Municipality City Hall",
        "latest": "Latest publications",
        "empty": "Nothing has been published yet.",
        "other": "ქართული",
        "other_url": "/",
    },
}


class PublishedDocumentPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    document_id: int
    edition: int
    document_type: str
    title_ka: str
    title_en: str | None
    published_at: object


async def latest(runtime: Runtime, limit: int = 20) -> list[PublishedDocument]:
    async with runtime.db().session() as session:
        rows = await session.scalars(
            select(PublishedDocument).order_by(PublishedDocument.published_at.desc()).limit(limit)
        )
        return list(rows)


async def home(request: Request, runtime: Runtime, language: Literal["ka", "en"]) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        "home.html",
        {"language": language, "text": TEXT[language], "documents": await latest(runtime)},
    )


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home_ka(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await home(request, runtime, "ka")


@router.get("/en/", response_class=HTMLResponse, include_in_schema=False)
async def home_en(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await home(request, runtime, "en")


@router.get("/api/documents", tags=["read model"], summary="Published documents, newest first")
async def published_documents(runtime: RuntimeDep) -> list[PublishedDocumentPublic]:
    return [PublishedDocumentPublic.model_validate(row) for row in await latest(runtime, 100)]
