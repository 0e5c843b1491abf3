"""The public side of citizens' subscriptions: the form, the confirmation link and the
one-click unsubscribe (RFC 8058), with no sign-in. Every request to subscribe is
answered alike, whatever is known of the address."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from sqlalchemy import select

from meria import municipality
from meria.auth import User, require_role
from meria.inputs import Id
from meria.problems import Problem
from meria.throttle import Rule, Throttle, client_address
from meria.web import RuntimeDep
from services.media import citizens
from services.media.distribution import CITIZEN_LINKS
from services.media.models import Subscriber
from services.media.schemas import SubscriberPublic, SubscriptionReceipt, SubscriptionRequest
from services.media.settings import MediaSettings

router = APIRouter(tags=["public"])
staff_router = APIRouter(prefix="/subscribers", tags=["subscribers"])
MediaOfficer = Annotated[User, require_role("media_officer", "head_of_department")]
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# The pages name the city hall from the profile, as media's other pages do.
templates.env.globals["municipality"] = municipality.Current()
RECEIPT = (
    "თუ მისამართი სწორია, მასზე გამოგზავნილ წერილში ნახავთ ბმულს, რომლითაც გამოწერას "
    "დაადასტურებთ. დადასტურებამდე არაფერს გამოგიგზავნით.",
    "If the address is right, the message we sent to it has a link to confirm the "
    "subscription. Nothing else is sent before you confirm.",
)
TOO_MANY = "Too many requests from this address; try again in {wait} seconds."


def _settings(runtime: Any) -> MediaSettings:
    settings = runtime.settings
    assert isinstance(settings, MediaSettings)
    return settings


async def _held(request: Request, runtime: Any) -> int:
    """Seconds before this client may ask again (0: now); each request that may go is
    counted, valid or not, so a flood costs its sender."""
    settings = _settings(runtime)
    rule = Rule.of("subscribe-form", settings.subscribe_form_limits)
    return await Throttle(runtime.db()).admit(
        rule, client_address(request, settings.trusted_proxies)
    )


@router.post(
    "/public/subscriptions",
    status_code=status.HTTP_202_ACCEPTED,
    summary="A citizen subscribes to news, acts (by type) or events by e-mail (double "
    "opt-in: a confirmation mail follows)",
    responses={429: {"description": "Too many requests from this address (see Retry-After)"}},
)
async def subscribe(
    data: SubscriptionRequest, request: Request, runtime: RuntimeDep
) -> SubscriptionReceipt:
    wait = await _held(request, runtime)
    if wait:
        raise Problem(
            429, "Too many requests", TOO_MANY.format(wait=wait), headers={"Retry-After": str(wait)}
        )
    await citizens.ask(
        runtime, _settings(runtime), data.email, data.topics, data.cadence, data.language
    )
    return SubscriptionReceipt(message_ka=RECEIPT[0], message_en=RECEIPT[1])


def _page(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(
        request,
        template,
        {"topics": citizens.TOPIC_NAMES, "cadences": citizens.CADENCE_NAMES, **context},
        status_code=status_code,
    )


@router.get("/subscribe", response_class=HTMLResponse, include_in_schema=False)
async def subscribe_form(request: Request) -> HTMLResponse:
    return _page(request, "subscribe.html", form={"topics": [], "cadence": "immediate"})


@router.post("/subscribe", response_class=HTMLResponse, include_in_schema=False)
async def subscribe_form_sent(request: Request, runtime: RuntimeDep) -> HTMLResponse:
    sent = await request.form()
    form: dict[str, Any] = {
        "email": str(sent.get("email") or ""),
        "topics": [str(topic) for topic in sent.getlist("topics")],
        "cadence": str(sent.get("cadence") or "immediate"),
        "language": str(sent.get("language") or "ka"),
    }
    wait = await _held(request, runtime)
    if wait:
        return _page(
            request, "subscribe.html", 429, form=form, held_minutes=max(1, -(-wait // 60)),
        )  # fmt: skip
    try:
        data = SubscriptionRequest.model_validate(form)
    except ValidationError as error:
        errors = {str(e["loc"][0]): e["msg"] for e in error.errors()}
        return _page(request, "subscribe.html", 422, form=form, errors=errors)
    await citizens.ask(
        runtime, _settings(runtime), data.email, data.topics, data.cadence, data.language
    )
    return _page(request, "subscribe.html", form=form, received=True)


@router.get("/subscriptions/confirm/{token}", response_class=HTMLResponse, include_in_schema=False)
async def confirm_page(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    # A GET changes nothing: mail scanners open links; the button posts.
    wish = citizens.read_confirmation(_settings(runtime), token)
    return _page(request, "subscription_confirm.html", wish=wish, done=False)


@router.post(
    "/subscriptions/confirm/{token}",
    response_class=HTMLResponse,
    summary="Confirm a subscription by the signed link of its confirmation mail",
)
async def confirm(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    settings = _settings(runtime)
    wish = citizens.read_confirmation(settings, token)
    await citizens.confirm(runtime.db(), settings, token)
    return _page(request, "subscription_confirm.html", wish=wish, done=True)


@router.get(
    "/subscriptions/unsubscribe/{token}", response_class=HTMLResponse, include_in_schema=False
)
async def unsubscribe_page(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    CITIZEN_LINKS.read(_settings(runtime), token)
    return _page(request, "subscription_unsubscribe.html", done=False)


@router.post(
    "/subscriptions/unsubscribe/{token}",
    response_class=HTMLResponse,
    summary="One-click unsubscribe (RFC 8058) from citizens' subscriptions",
)
async def unsubscribe(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    await citizens.unsubscribe(runtime.db(), _settings(runtime), token)
    return _page(request, "subscription_unsubscribe.html", done=True)


@staff_router.get("", summary="Citizens' subscriptions, newest first (by address, if given)")
async def list_subscribers(
    _: MediaOfficer,
    runtime: RuntimeDep,
    email: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[SubscriberPublic]:
    query = select(Subscriber).order_by(Subscriber.id.desc()).limit(limit).offset(offset)
    if email:
        query = query.where(Subscriber.email == email.strip().lower())
    async with runtime.db().session() as session:
        return [SubscriberPublic.model_validate(row) for row in await session.scalars(query)]


@staff_router.delete(
    "/{subscriber_id}",
    summary="Erase a subscriber's address at their request (on the subscription and on the "
    "messages sent to it)",
)
async def erase_subscriber(
    subscriber_id: Id, _: MediaOfficer, runtime: RuntimeDep
) -> SubscriberPublic:
    return SubscriberPublic.model_validate(await citizens.erase(runtime.db(), subscriber_id))
