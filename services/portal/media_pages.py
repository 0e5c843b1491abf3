"""Media monitoring in the portal: the list of what outlets published about the
municipality, the form that records a story (and asks for a response), a story's page
where staff set its sentiment, the response page where the owner drafts and the head of
department decides, and the month's coverage.

Every page is the media service's API with a face; a refused form comes back with what
was typed and the service's message beside its field.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import FormData

from meria.inputs import Id, Page
from services.portal.clients import ServiceRefused, ServiceUnavailable, services_of
from services.portal.forms import KeptForm, values_of
from services.portal.i18n import N_, TBILISI, _
from services.portal.labels import labels
from services.portal.panels import Panels, pending_work
from services.portal.web import Staff, redirect, render, runtime_of

router = APIRouter(include_in_schema=False)

MEDIA = {
    "print": N_("Print"),
    "tv": N_("TV"),
    "radio": N_("Radio"),
    "online": N_("Online"),
    "agency": N_("News agency"),
}
TOPICS = {
    "governance": N_("Governance"),
    "infrastructure": N_("Infrastructure"),
    "tourism": N_("Tourism"),
    "agriculture": N_("Agriculture"),
    "education": N_("Education"),
    "health": N_("Health"),
    "culture": N_("Culture"),
    "social": N_("Social affairs"),
    "environment": N_("Environment"),
    "emergencies": N_("Emergencies"),
    "international": N_("International relations"),
    "other": N_("Other"),
}
SENTIMENTS = {
    "positive": N_("Positive"),
    "neutral": N_("Neutral"),
    "negative": N_("Negative"),
    "unset": N_("Not judged yet"),
}
RESPONSE_STATES = {
    "drafting": N_("Being drafted"),
    "awaiting_approval": N_("Waiting for approval"),
    "approved": N_("Approved"),
    # The media service's "published": the statement is handed to publishing, whose own
    # route approves and publishes it; the response's page tells which of the two it is.
    "published": N_("Statement submitted for publication"),
    "sent": N_("Sent to the outlet"),
    "cancelled": N_("Cancelled"),
}
CHANNELS = {
    "statement": N_("Publish as a statement"),
    "outlet": N_("Send to the outlet"),
}
PER_PAGE = 25


def _context() -> dict[str, Any]:
    return {
        "media_kinds": labels(MEDIA),
        "topics": labels(TOPICS),
        "sentiments": labels(SENTIMENTS),
        "response_states": labels(RESPONSE_STATES),
        "channels": labels(CHANNELS),
    }


def _this_month() -> str:
    return datetime.now(TBILISI).strftime("%Y-%m")


class ItemForm(KeptForm):
    @classmethod
    def from_form(cls, form: FormData) -> ItemForm:
        names = ("outlet_id", "published_on", "title", "link", "summary", "topic",
                 "officials", "sentiment", "response_needed", "response_owner")  # fmt: skip
        return cls(values_of(form, names))

    def check(self) -> None:
        if not self.get("outlet_id").isdigit():
            self.errors["outlet_id"] = _("Choose the outlet.")
        try:
            date.fromisoformat(self.get("published_on"))
        except ValueError:
            self.errors["published_on"] = _("Give the date as the calendar shows it.")
        if len(self.get("title")) < 3:
            self.errors["title"] = _("The title is required.")

    def body(self) -> dict[str, Any]:
        officials = [name.strip() for name in self.get("officials").split(",") if name.strip()]
        return {
            "outlet_id": int(self.get("outlet_id")),
            "published_on": self.get("published_on"),
            "title": self.get("title"),
            "link": self.get("link") or None,
            "summary": self.get("summary") or None,
            "topic": self.get("topic") or None,
            "officials_mentioned": officials,
            "sentiment": self.get("sentiment") or None,
            "response_needed": bool(self.get("response_needed")),
            "response_owner": self.get("response_owner") or None,
        }


async def _outlets(request: Request, signed: Staff, panels: Panels) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await panels.read(
        "outlets",
        _("Outlets"),
        services_of(runtime_of(request)).get(signed.user, "media", "/outlets"),
        [],
    )
    return found


@router.get("/media/monitoring")
async def monitoring_list(
    request: Request,
    signed: Staff,
    month: str = "",
    outlet_id: str = "",
    medium: str = "",
    sentiment: str = "",
    response_needed: str = "",
    text: str = "",
    page: Page = 1,
) -> Response:
    chosen = {
        "month": month,
        "outlet_id": outlet_id if outlet_id.isdigit() else "",
        "medium": medium if medium in MEDIA else "",
        "sentiment": sentiment if sentiment in SENTIMENTS else "",
        "response_needed": response_needed if response_needed in ("yes", "no") else "",
        "text": text[:200],
    }
    params: dict[str, Any] = {
        key: value for key, value in chosen.items() if value and key != "response_needed"
    }
    if chosen["response_needed"]:
        params["response_needed"] = chosen["response_needed"] == "yes"
    page = max(page, 1)
    params |= {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE}
    services = services_of(runtime_of(request))
    error = None
    panels = Panels()
    stories = services.get(signed.user, "media", "/monitoring-items", params=params)
    try:
        found = await panels.read("stories", _("Stories"), stories, {"items": [], "total": 0})
    except ServiceRefused as refused:
        found, error = {"items": [], "total": 0}, refused.detail
    return await render(
        request,
        "media/monitoring.html",
        found=found,
        chosen=chosen,
        error=error,
        panels=panels,
        outlets=await _outlets(request, signed, panels),
        page=page,
        pages=max(1, -(-found["total"] // PER_PAGE)),
        **_context(),
    )


@router.get("/media/monitoring/new")
async def new_item(request: Request, signed: Staff) -> Response:
    today = datetime.now(TBILISI).date().isoformat()
    return await _item_form(request, signed, ItemForm({"published_on": today}))


async def _item_form(
    request: Request,
    signed: Staff,
    form: ItemForm,
    *,
    status_code: int = 200,
    form_error: str | None = None,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Recording the story"), unavailable)
    return await render(
        request,
        "media/item_form.html",
        status_code=status_code,
        form=form,
        form_error=form_error,
        outlets=await _outlets(request, signed, panels),
        panels=panels,
        **_context(),
    )


@router.post("/media/monitoring")
async def create_item(request: Request, signed: Staff) -> Response:
    form = ItemForm.from_form(await request.form())
    form.check()
    if form.errors:
        return await _item_form(request, signed, form, status_code=422)
    services = services_of(runtime_of(request))
    try:
        item = await services.call(
            signed.user, "POST", "media", "/monitoring-items", json=form.body()
        )
    except ServiceRefused as refused:
        form.errors.update(_field_errors(refused))
        return await _item_form(
            request, signed, form, status_code=refused.status, form_error=refused.detail
        )
    except ServiceUnavailable as unavailable:
        return await _item_form(request, signed, form, status_code=503, unavailable=unavailable)
    return redirect(f"/media/monitoring/{item['id']}?recorded=1")


def _field_errors(refused: ServiceRefused) -> dict[str, str]:
    errors = refused.field_errors
    if "officials_mentioned" in errors:
        errors["officials"] = errors.pop("officials_mentioned")
    return errors


async def _item_page(
    request: Request,
    signed: Staff,
    item_id: int,
    *,
    status_code: int = 200,
    flashes: list[str] | None = None,
    form_error: str | None = None,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    services = services_of(runtime_of(request))
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Your change"), unavailable)
    item = await services.get(signed.user, "media", f"/monitoring-items/{item_id}")
    response = None
    if item["response_id"]:
        path = f"/responses/{item['response_id']}"
        response = await panels.read(
            "response", _("Response"), services.get(signed.user, "media", path), None
        )
    return await render(
        request,
        "media/item.html",
        status_code=status_code,
        item=item,
        response=response,
        panels=panels,
        flashes=flashes or [],
        form_error=form_error,
        **_context(),
    )


@router.get("/media/monitoring/{item_id}")
async def show_item(
    request: Request, signed: Staff, item_id: Id, recorded: str = "", saved: str = ""
) -> Response:
    flashes = [_("The item is recorded.")] if recorded else []
    flashes += [_("Saved.")] if saved else []
    return await _item_page(request, signed, item_id, flashes=flashes)


@router.post("/media/monitoring/{item_id}")
async def change_item(request: Request, signed: Staff, item_id: Id) -> Response:
    form = await request.form()
    body: dict[str, Any] = {}
    sentiment = form.get("sentiment")
    if isinstance(sentiment, str) and sentiment in ("positive", "neutral", "negative"):
        body["sentiment"] = sentiment
    if form.get("response_needed"):
        body["response_needed"] = True
        owner = form.get("response_owner")
        if isinstance(owner, str) and owner.strip():
            body["response_owner"] = owner.strip()
    services = services_of(runtime_of(request))
    try:
        await services.call(
            signed.user, "PATCH", "media", f"/monitoring-items/{item_id}", json=body
        )
    except ServiceRefused as refused:
        return await _item_page(
            request, signed, item_id, status_code=refused.status, form_error=refused.detail
        )
    except ServiceUnavailable as unavailable:
        return await _item_page(request, signed, item_id, status_code=503, unavailable=unavailable)
    return redirect(f"/media/monitoring/{item_id}?saved=1")


# Responses.


async def _response_page(
    request: Request,
    signed: Staff,
    response_id: int,
    *,
    status_code: int = 200,
    flashes: list[str] | None = None,
    form_error: str | None = None,
    draft: dict[str, str] | None = None,
    unavailable: ServiceUnavailable | None = None,
) -> Response:
    runtime = runtime_of(request)
    services = services_of(runtime)
    user = signed.user
    panels = Panels()
    if unavailable is not None:
        panels.mark("saving", _("Your change"), unavailable)

    async def with_item() -> tuple[dict[str, Any], dict[str, Any] | None]:
        response: dict[str, Any] = await services.get(user, "media", f"/responses/{response_id}")
        if not response["item_id"]:
            return response, None
        path = f"/monitoring-items/{response['item_id']}"
        item = await panels.read("item", _("The story"), services.get(user, "media", path), None)
        return response, item

    async def where_it_stands() -> dict[str, Any] | None:
        try:
            found: dict[str, Any] | None = await panels.read(
                "status", _("Where it stands"),
                services.get(user, "media", f"/responses/{response_id}/status"), None,
            )  # fmt: skip
            return found
        except ServiceRefused:
            return None

    (response, item), status, pending = await asyncio.gather(
        with_item(), where_it_stands(), pending_work(runtime, f"media-response-{response_id}")
    )
    statement = await statement_state(request, signed, panels, response)
    task = status["task"] if status else None
    may_draft = (
        task is not None
        and task["step"] == "response_draft"
        and user.has_any("media_officer", "head_of_department", "admin")
        and (response["owner"] in (None, user.id) or user.has_any("head_of_department"))
    )
    may_decide = (
        task is not None
        and task["step"] == "response_approval"
        and user.has_any(*task["awaiting"])
        and response["drafted_by"] != user.id
    )
    return await render(
        request,
        "media/response.html",
        status_code=status_code,
        response=response,
        statement=statement,
        item=item,
        task=task,
        may_draft=may_draft,
        may_decide=may_decide,
        draft=draft
        or {
            "channel": response["channel"] or "statement",
            "text_ka": response["text_ka"] or "",
            "text_en": response["text_en"] or "",
        },
        flashes=flashes or [],
        form_error=form_error,
        panels=panels,
        pending=pending,
        now=datetime.now(UTC),
        **_context(),
    )


# Where a response's statement stands in publishing, as its page says it.
STATEMENT_STATES = {
    "published": N_("Published as a statement"),
    "approved": N_("The statement is approved and waits for its publication time"),
    "scheduled": N_("The statement is approved and waits for its publication time"),
    "failed_to_publish": N_("The statement failed to publish"),
    "withdrawn": N_("The statement was withdrawn"),
    "unpublished": N_("The statement was unpublished"),
    "deleted": N_("The statement was deleted"),
}
STATEMENT_WAITS = N_("The statement waits for approval in publishing")


async def statement_state(
    request: Request, signed: Staff, panels: Panels, response: dict[str, Any]
) -> str | None:
    """What the response's page says of its statement: published only once publishing
    has published it; until then, that it waits for approval."""
    if response["status"] != "published" or not response.get("document_id"):
        return None
    services = services_of(runtime_of(request))
    path = f"/documents/{response['document_id']}"
    try:
        document = await panels.read(
            "statement", _("Statement"), services.get(signed.user, "publishing", path), None
        )
    except ServiceRefused:
        document = None
    if document is None:
        return None
    return _(STATEMENT_STATES.get(document["state"], STATEMENT_WAITS))


DONE = {
    "saved": N_("Saved."),
    "submitted": N_("The draft is submitted for approval."),
    "decided": N_("Your decision is recorded."),
}


@router.get("/media/responses/{response_id}")
async def show_response(
    request: Request, signed: Staff, response_id: Id, done: str = ""
) -> Response:
    flashes = [_(DONE[done])] if done in DONE else []
    return await _response_page(request, signed, response_id, flashes=flashes)


@router.post("/media/responses/{response_id}/draft")
async def write_draft(request: Request, signed: Staff, response_id: Id) -> Response:
    form = await request.form()
    draft = {name: str(form.get(name) or "").strip() for name in ("channel", "text_ka", "text_en")}
    services = services_of(runtime_of(request))
    body = {
        "channel": draft["channel"],
        "text_ka": draft["text_ka"],
        "text_en": draft["text_en"] or None,
    }
    try:
        await services.call(
            signed.user, "PUT", "media", f"/responses/{response_id}/draft", json=body
        )
        if form.get("submit"):
            await services.call(signed.user, "POST", "media", f"/responses/{response_id}/submit")
    except ServiceRefused as refused:
        return await _response_page(
            request, signed, response_id, status_code=refused.status,
            form_error=refused.detail, draft=draft,
        )  # fmt: skip
    except ServiceUnavailable as unavailable:
        return await _response_page(
            request, signed, response_id, status_code=503, draft=draft, unavailable=unavailable
        )
    done = "submitted" if form.get("submit") else "saved"
    return redirect(f"/media/responses/{response_id}?done={done}")


@router.post("/media/responses/{response_id}/decision")
async def decide(request: Request, signed: Staff, response_id: Id) -> Response:
    form = await request.form()
    outcome = str(form.get("outcome") or "")
    comment = str(form.get("comment") or "").strip()
    services = services_of(runtime_of(request))
    try:
        await services.call(
            signed.user,
            "POST",
            "media",
            f"/responses/{response_id}/decisions",
            json={"outcome": outcome, "comment": comment or None},
        )
    except ServiceRefused as refused:
        return await _response_page(
            request, signed, response_id, status_code=refused.status, form_error=refused.detail
        )
    except ServiceUnavailable as unavailable:
        return await _response_page(
            request, signed, response_id, status_code=503, unavailable=unavailable
        )
    return redirect(f"/media/responses/{response_id}?done=decided")


@router.get("/media/coverage")
async def coverage(request: Request, signed: Staff, month: str = "") -> Response:
    month = month if len(month) == 7 and month[4] == "-" else _this_month()
    services = services_of(runtime_of(request))
    error = None
    panels = Panels()
    asked = services.get(signed.user, "media", "/coverage", params={"month": month})
    try:
        report = await panels.read("coverage", _("Coverage"), asked, None)
    except ServiceRefused as refused:
        report, error = None, refused.detail
    if report is not None:
        # The outlets' own names; the other groups in the page's language.
        names = {"by_medium": MEDIA, "by_topic": {**TOPICS, "unset": N_("Not set")},
                 "by_sentiment": SENTIMENTS}  # fmt: skip
        for group in ("by_outlet", "by_medium", "by_topic", "by_sentiment"):
            for row in report[group]:
                known = names.get(group, {}).get(row["key"])
                row["shown"] = _(known) if known else row["label"]
    return await render(
        request, "media/coverage.html", report=report, month=month, error=error, panels=panels,
        **_context(),
    )  # fmt: skip
