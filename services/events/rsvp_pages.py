"""The invitee's page: what the invitation is for, and the form where they answer, in
Georgian first and in English by a link.

The events service serves it itself, since it keeps the invitees and their answers (the
website is built from the bus and holds no personal data); on the public host the proxy
hands `/rsvp/` to this service. The personal link's token is the credential (see
`invitations.py`). Opening the page changes nothing (mail scanners open links); the
answer is a POST from the page's own form, which carries a key the page signed for this
link, and is refused from another site. The page is never cached, never indexed, and
sends no referrer, so the link does not leak from it.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape

from meria import municipality
from meria.problems import Problem
from meria.web import RuntimeDep
from services.events import meetings
from services.events.invitations import answers_closed, invitation_of, now
from services.events.models import Event
from services.events.schemas import RsvpAnswer
from services.events.settings import EventsSettings
from services.events.texts import KINDS, spoken_date

Language = Literal["ka", "en"]
LOCALE_DIR = Path(__file__).parent / "locale"
FORM_SALT = "meria-events-rsvp-form"
# A page's form is good for a day; an older one is shown again with a fresh key.
FORM_SECONDS = 86400
PAGE_HEADERS = {
    "cache-control": "no-store",
    "x-robots-tag": "noindex, nofollow",
    "referrer-policy": "no-referrer",
}
STYLE = """
body{font:1rem/1.5 "Noto Sans Georgian","Noto Sans",sans-serif;margin:0;color:#1b1b1b;
background:#fff}
header,main,footer{max-width:40rem;margin:0 auto;padding:1rem}
header{display:flex;justify-content:space-between;align-items:center;
border-bottom:3px solid #8a1c1c}
.brand{font-weight:700;margin:0}
a{color:#0b4f8a}
h1{font-size:1.5rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:700}
dd{margin:0;overflow-wrap:anywhere}
fieldset{border:1px solid #6b6b6b;margin:1rem 0;padding:.5rem 1rem}
.choice{display:block;padding:.25rem 0}
label[for=note]{display:block;margin-top:1rem}
textarea{width:100%;box-sizing:border-box;font:inherit}
button{margin-top:1rem;padding:.5rem 1.25rem;font:inherit;background:#8a1c1c;color:#fff;
border:0;border-radius:4px;cursor:pointer}
button:focus,a:focus,input:focus,textarea:focus{outline:3px solid #0b4f8a;outline-offset:2px}
.error{color:#a4000f;font-weight:700}
.done{background:#e6f4ea;border-left:4px solid #1e7a34;padding:.5rem 1rem}
footer{color:#4a4a4a;font-size:.9rem}
"""

router = APIRouter(prefix="/rsvp", include_in_schema=False)


# Words.


@cache
def translations(language: Language) -> NullTranslations:
    """The page's catalog, compiled in memory; English is the words as written."""
    if language == "en":
        return NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where shown."""
    return message


ANSWERS = {
    "pending": N_("No answer yet"),
    "accepted": N_("I will attend"),
    "tentative": N_("I may attend"),
    "declined": N_("I cannot attend"),
}
PROBLEMS = {
    404: N_("This invitation link is not valid. Check that the whole link was copied."),
    410: N_(
        "This invitation link no longer works: it has expired, or a newer invitation was "
        "sent. Ask the city hall for a new one."
    ),
}
CLOSED = {
    "closed": N_("The event is no longer open for answers: it was cancelled or is over."),
    "begun": N_("The event has begun: answers are closed."),
}

environment = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
environment.globals["municipality"] = municipality.Current()


def language_of(request: Request, chosen: str | None = None) -> Language:
    value = chosen or request.query_params.get("lang")
    return "en" if value == "en" else "ka"


def render(language: Language, status_code: int = 200, **context: Any) -> HTMLResponse:
    words = translations(language)
    template = environment.get_template("rsvp.html")
    body = template.render(
        _=words.gettext,
        language=language,
        answers={key: words.gettext(label) for key, label in ANSWERS.items()},
        **{"errors": {}, **context},
    )
    return HTMLResponse(body, status_code=status_code, headers=PAGE_HEADERS)


def problem_page(language: Language, problem: Problem) -> HTMLResponse:
    words = translations(language)
    message = PROBLEMS.get(problem.status, PROBLEMS[404])
    return render(language, status_code=problem.status, problem=words.gettext(message))


# The form's key: signed for one link, so only this page's form answers through it.


def _form_serializer(settings: EventsSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt=FORM_SALT)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def form_key(settings: EventsSettings, token: str) -> str:
    return str(_form_serializer(settings).dumps(_digest(token)))


def form_key_holds(settings: EventsSettings, token: str, key: str) -> bool:
    try:
        found = _form_serializer(settings).loads(key, max_age=FORM_SECONDS)
    except BadSignature:
        return False
    return isinstance(found, str) and secrets.compare_digest(found, _digest(token))


def from_this_site(request: Request, settings: EventsSettings) -> bool:
    """Refuse a form another site's page sends. Browsers say where a request comes from
    (`Sec-Fetch-Site`); the page sends no referrer, so their `Origin` is "null" and only
    an older browser's real `Origin` is compared with this service's addresses. The
    page's own key is needed besides, whatever the headers say."""
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    ours = {
        f"{parts.scheme}://{parts.netloc}"
        for parts in (urlsplit(url) for url in (settings.public_url, settings.events_url) if url)
    }
    ours.add(f"{request.url.scheme}://{request.url.netloc}")
    return origin in ours


# The page.


def _settings(runtime: Any) -> EventsSettings:
    settings = runtime.settings
    assert isinstance(settings, EventsSettings)
    return settings


def _facts(event: Event, language: Language) -> dict[str, Any]:
    english = language == "en"
    if event.venue is not None:
        name = (event.venue.name_en if english else None) or event.venue.name_ka
        address = (event.venue.address_en if english else None) or event.venue.address_ka
        place = f"{name}, {address}" if address else name
    else:
        place = ((event.place_en if english else None) or event.place_ka) or ""
    kind_ka, kind_en = KINDS.get(event.kind, (event.kind, event.kind))
    return {
        "title": (event.title_en if english else None) or event.title_ka,
        "description": (event.description_en if english else None) or event.description_ka,
        "kind": kind_en if english else kind_ka,
        "when": spoken_date(event.starts_at, language),
        "place": place,
    }


async def _page(
    request: Request,
    runtime: Any,
    token: str,
    language: Language,
    *,
    status_code: int = 200,
    errors: dict[str, str] | None = None,
    chosen: str = "",
    note: str = "",
) -> HTMLResponse:
    settings = _settings(runtime)
    try:
        async with runtime.db().session() as session:
            event, participant = await invitation_of(session, settings, token)
    except Problem as problem:
        return problem_page(language, problem)
    words = translations(language)
    closed = "" if errors else answers_closed(event, now())
    return render(
        language,
        status_code=status_code,
        token=token,
        form_key=form_key(settings, token),
        participant=participant,
        closed=words.gettext(CLOSED[closed]) if closed else "",
        done=request.query_params.get("done") == "1" and not errors,
        chosen=chosen or (participant.rsvp if participant.rsvp != "pending" else ""),
        note=note or (participant.rsvp_note or ""),
        errors=errors or {},
        **_facts(event, language),
    )


@router.get("/page.css")
async def style() -> Response:
    return Response(STYLE, media_type="text/css", headers={"cache-control": "max-age=3600"})


@router.get("/{token}")
async def invitation_page(token: str, request: Request, runtime: RuntimeDep) -> HTMLResponse:
    return await _page(request, runtime, token, language_of(request))


@router.post("/{token}/answer")
async def answer_from_page(token: str, request: Request, runtime: RuntimeDep) -> Response:
    form = await request.form()
    language = language_of(request, str(form.get("lang") or ""))
    words = translations(language)
    settings = _settings(runtime)
    key = form.get("form_key")
    if not from_this_site(request, settings) or not isinstance(key, str):
        return render(
            language, status_code=403,
            problem=words.gettext("This answer did not come from the invitation's own page."),
        )  # fmt: skip
    if not form_key_holds(settings, token, key):
        # An old page, or a forged form: the page again, with a fresh key.
        return await _page(
            request, runtime, token, language, status_code=403,
            errors={"response": words.gettext("The page was open too long. Answer again.")},
        )  # fmt: skip
    response = str(form.get("response") or "")
    note = str(form.get("note") or "").strip()
    errors: dict[str, str] = {}
    if response not in ("accepted", "declined", "tentative"):
        errors["response"] = words.gettext("Choose one of the answers.")
    if len(note) > 1000:
        errors["note"] = words.gettext("The note is longer than 1000 characters.")
    if errors:
        return await _page(
            request, runtime, token, language, status_code=422, errors=errors,
            chosen=response, note=note,
        )  # fmt: skip
    return await record(request, runtime, token, language, response, note)


async def record(
    request: Request, runtime: Any, token: str, language: Language, response: str, note: str
) -> Response:
    settings = _settings(runtime)
    try:
        async with runtime.db().session() as session:
            event, participant = await invitation_of(session, settings, token)
            closed = answers_closed(event, datetime.now(UTC))
        if closed:
            raise Problem(409, "Answers are closed", CLOSED[closed])
        answer = RsvpAnswer.model_validate({"response": response, "note": note or None})
        await meetings.record_rsvp(
            runtime.db(), event.id, participant.id, answer, f"participant:{participant.id}"
        )
    except Problem as problem:
        if problem.status in (404, 410):
            return problem_page(language, problem)
        return await _page(request, runtime, token, language, status_code=problem.status)
    return RedirectResponse(f"/rsvp/{token}?lang={language}&done=1", status_code=303)
