"""Every page in Georgian: the portal as each of its people sees it, and the public site.

The stack runs as `make run` starts it, seeded with the demo data, so the pages show what
a department's day shows: documents along their routes, visits with their logistics,
press conferences, media responses, requests, the digest. Each person walks every page
their links reach (a few of each kind, the error pages of a number that is not there
among them), and every page's words in Latin script must be names or codes
(`tests/support/georgian_pages.py` says what is left out and why).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from meria.config import load_settings
from meria.processes import PROCESSES
from services.portal.seed import DEMO_ACCOUNTS
from services.portal.settings import DEMO_PASSWORD
from services.publishing.seed import DOCUMENTS
from tests.support.georgian_pages import Visit, app_routes, latin_words, walk
from tests.support.portal import CSRF_FIELD
from tests.support.up import Stack, migrate, up_env

pytestmark = pytest.mark.e2e

# Pages no link of the demo data leads to, and why.
UNREACHED = {
    # A notification's own address marks it read and goes on to its case.
    "/notifications/{notification_id}",
}
# Names in Latin script in the demo data: people and places of the partner towns, the
# Georgian Public Broadcaster's journalist who writes in English.
NAMES = {
    "Nałęczów", "Lublin", "Birštonas", "Birštono", "savivaldybė", "Nijolė", "Dirginčienė",
    "Tomas", "Petrauskas", "Eglė", "Kazlauskienė", "Eka", "Gigauri",
    # The M4EG initiative's call, as the European Union names it.
    "M4EG",
}  # fmt: skip
MISSING = 999999


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    folder = tmp_path_factory.mktemp("georgian")
    env = up_env(folder)
    migrated = migrate(env)
    assert migrated.returncode == 0, migrated.stderr
    running = Stack(env, folder / "up.log")
    running.start()
    try:
        running.wait_for("Meria is up.")
        yield running
    finally:
        # Ctrl-C, as `make run` is stopped: the supervisor stops every process it started
        # (each runs in a session of its own, which a kill of the supervisor leaves behind).
        with contextlib.suppress(Exception):
            running.interrupt()
        running.kill()


def routes_of(process: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("MERIA_VAR_DIR", str(tmp_path))
    spec = PROCESSES[process]
    return app_routes(spec.load().create_app(load_settings(spec.settings_class())))


def words_out_of_place(visits: dict[str, Visit]) -> list[str]:
    found = []
    for visit in visits.values():
        reading = latin_words(visit.html, NAMES)
        if reading.words:
            told = zip(reading.words, reading.contexts, strict=True)
            shown = "; ".join(f"{word!r} in “{context}”" for word, context in told)
            found.append(f"{visit.url}: {shown[:600]}")
    return found


def with_known_numbers(routes: list[str], visits: dict[str, Visit]) -> list[str]:
    """Each route of one number not visited yet, with the number of a visited page of the
    same thing (`/documents/{document_id}/edit` from `/documents/7`)."""
    reached = {visit.route for visit in visits.values()}
    urls = []
    for route in routes:
        names = re.findall(r"{\w+}", route)
        if route in reached or len(names) != 1:
            continue
        prefix = route.split(names[0])[0]
        for visit in visits.values():
            found = re.match(re.escape(prefix) + r"(\d+)(?:$|[/?])", visit.url)
            if found:
                urls.append(route.replace(names[0], found.group(1)))
                break
    return urls


async def signed_in(base: str, username: str) -> httpx.AsyncClient:
    # The language cookie a Georgian reader's choice leaves, whatever the account's own.
    http = httpx.AsyncClient(base_url=base, timeout=60, cookies={"meria_lang": "ka"})
    form = await http.get("/sign-in")
    token = CSRF_FIELD.search(form.text)
    assert token, form.text
    signed = await http.post(
        "/sign-in",
        data={"csrftoken": token.group(1), "username": username, "password": DEMO_PASSWORD,
              "next": "/inbox"},
    )  # fmt: skip
    assert signed.status_code == 303, signed.text
    return http


async def test_every_portal_page_speaks_georgian_to_every_role(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = routes_of("portal", tmp_path, monkeypatch)
    starts = [route for route in routes if "{" not in route]
    # A number that is not there: an old link, a mistyped address.
    starts += [f"/documents/{MISSING}", f"/events/{MISSING}", f"/visits/{MISSING}"]
    visits: dict[str, Visit] = {}
    # Each of the department's people, by their own links.
    for username, *_rest in DEMO_ACCOUNTS:
        http = await signed_in(stack.env["MERIA_PORTAL_URL"], username)
        try:
            for url, visit in (await walk(http, routes, starts)).items():
                visits.setdefault(url, visit)
            # Pages the person's links did not show (an edit form of a document in a
            # state they may not edit), with a number a page of theirs had.
            more = with_known_numbers(routes, visits)
            for url, visit in (await walk(http, routes, more)).items():
                visits.setdefault(url, visit)
        finally:
            await http.aclose()

    unreached = set(routes) - {visit.route for visit in visits.values()} - UNREACHED
    assert not unreached, f"no link of the demo data reaches {sorted(unreached)}"
    broken = [f"{visit.status} {visit.url}" for visit in visits.values() if visit.status >= 500]
    assert not broken, broken
    found = words_out_of_place(visits)
    assert not found, "Latin-script words on Georgian pages:\n" + "\n".join(found)


async def test_every_public_page_speaks_georgian(
    stack: Stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    routes = routes_of("website", tmp_path, monkeypatch)
    base = stack.env["MERIA_WEBSITE_URL"]
    published = sum(1 for _document, goal in DOCUMENTS if goal == "published")
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        # The demo documents reach the site through their workflows and the bus.
        await stack_settles(http, published)
        starts = [route for route in routes if "{" not in route]
        starts += [f"/acts/{MISSING}", f"/news/{MISSING}", "/acts?page=99", "/news?page=99"]
        visits = await walk(http, routes, starts)

    georgian = {route for route in routes if not route.startswith("/en")}
    # Standing pages are published by the department when it writes them: none are seeded;
    # the demo month's digest waits for the head of department's approval.
    waiting = {"/pages/{slug}", "/digests/{document_id}"}
    # The act page's date form asks this address, which only redirects to the version's
    # page of that day; the walk reaches those pages by their links.
    by_form = {"/acts/{document_id}/versions"}
    unreached = georgian - {visit.route for visit in visits.values()} - waiting - by_form
    assert not unreached, f"no link of the demo data reaches {sorted(unreached)}"
    broken = [f"{visit.status} {visit.url}" for visit in visits.values() if visit.status >= 500]
    assert not broken, broken
    assert visits[f"/acts/{MISSING}"].status == 404
    found = words_out_of_place(visits)
    assert not found, "Latin-script words on Georgian pages:\n" + "\n".join(found)


async def stack_settles(http: httpx.AsyncClient, published: int) -> None:
    import asyncio

    for _ in range(480):
        documents = (await http.get("/api/documents")).json()
        if len(documents) >= published:
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"only {len(documents)} of {published} demo documents published")
