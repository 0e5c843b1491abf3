"""A list shows a page of its table, whatever the table's size: the same statements and
the same number of rows at 100 rows as at 2,000.

Each service's app answers from two databases filled by the scale benchmark's own
generator (`bench/scale_data.py`): one with 100 rows of everything, one with 2,000. The
apps are called in the test's own task (no server, no bus, no Temporal: lists read their
database only), and every statement a request runs is counted on the service's engine by
its request id (`meria.testing.queries`). A list that loads each row's details one by
one, or that returns every row, fails here.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from meria.auth import User, issue_token
from meria.config import Settings
from meria.db import Database, migrate
from meria.processes import PROCESSES
from meria.testing.queries import counting_statements, tagged
from tests.conftest import DatabaseFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import scale_data

SMALL, LARGE = 100, 2_000
# No list answers more rows than this unless asked.
MOST_ROWS = 500
STAFF = frozenset(
    {"editor", "legal_reviewer", "head_of_department", "mayor", "protocol_officer",
     "media_officer", "admin"}
)  # fmt: skip
# What each service lists, and the filters a desk uses every day.
LISTS: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "publishing": [
        ("/documents", {}),
        ("/documents", {"text": "ახმეტის"}),
        ("/documents", {"document_type": "mayor_order"}),
        ("/register", {"limit": 50}),
    ],
    # A page of 50: at 100 rows as at 2,000 the page is full (a page not full needs no count).
    "events": [("/events", {"limit": 50}), ("/events", {"kind": "press_conference", "limit": 10})],
    "visits": [("/visits", {}), ("/partners", {}), ("/projects", {}), ("/agreements", {})],
    "media": [
        ("/journalists", {}),
        ("/monitoring-items", {}),
        ("/monitoring-items", {"text": "ახმეტის"}),
        ("/journalists", {"beat": "tourism"}),
        ("/information-requests", {}),
        ("/library", {}),
        ("/accreditations", {}),
        ("/accreditation-windows", {}),
        ("/enquiries", {}),
    ],
    "website": [
        ("/", {}),
        ("/acts", {}),
        ("/news", {}),
        ("/calendar", {}),
        ("/search", {"q": "ახმეტაში"}),
        ("/api/acts", {}),
        ("/api/documents", {}),
        ("/feeds/acts.atom", {}),
    ],
}


class Rows(scale_data.Scale):
    """The same number of rows in every table (a few distribution lists)."""

    def of(self, at_one: int, least: int = 1) -> int:
        return round(self.factor)

    @property
    def lists(self) -> int:
        return 5


async def fill(service: str, url: str, rows: int, folder: Path) -> None:
    now = datetime.now(UTC)
    plans = scale_data.document_plans(scale_data.mix(rows), now=now)
    total = rows + len(scale_data.STANDING_PAGES)
    match service:
        case "publishing":
            await scale_data.fill_publishing(url, plans, total)
        case "events":
            await scale_data.fill_events(url, rows, now)
        case "visits":
            await scale_data.fill_visits(url, Rows(rows), now)
        case "media":
            conferences = range(1, rows + 1)
            await scale_data.fill_media(url, Rows(rows), now, press_conference_ids=conferences)
        case "website":
            await scale_data.fill_website(url, plans, total)


@dataclass
class Served:
    app: FastAPI
    http: httpx.AsyncClient

    @property
    def database(self) -> Database:
        database: Database = self.app.state.runtime.db()
        return database

    async def count(self, path: str, params: dict[str, Any]) -> tuple[list[str], int]:
        """The statements one request ran, and the rows it answered."""
        request_id, header = tagged()
        with counting_statements(self.database.engine) as statements:
            # A distinct parameter: the website's page cache must not answer.
            answer = await self.http.get(path, params=params | {"n": request_id}, headers=header)
        assert answer.status_code == 200, f"{path}: {answer.status_code} {answer.text[:300]}"
        ran = [s for s in statements.of(request_id) if not any(p in s for p in PERIODIC)]
        return ran, rows_of(answer)


# The website reads its read model's version row at most once a second, in whichever
# request comes then: one row whatever the tables' size, so a slow machine's timing does
# not count as growth.
PERIODIC = ("read_model_version",)


def rows_of(answer: httpx.Response) -> int:
    if not answer.headers.get("content-type", "").startswith("application/json"):
        return 0
    body = answer.json()
    if isinstance(body, list):
        return len(body)
    return len(body.get("items", body.get("documents", [])))


async def serve(service: str, rows: int, folder: Path, new_database: DatabaseFactory) -> Served:
    """The service's app on a database of `rows` rows, called in this task."""
    spec = PROCESSES[service]
    parts = spec.parts()
    assert parts.metadata is not None and parts.migrations is not None
    url = await new_database(f"{service}_{rows}")
    database = Database(url)
    await migrate(database, parts.migrations, parts.metadata)
    await database.dispose()
    await fill(service, url, rows, folder)
    settings = spec.settings_class()(database_url=url, var_dir=folder / "var")
    app = spec.load().create_app(settings)
    token = issue_token(Settings(), User(id="nino.beridze", roles=STAFF))  # type: ignore[arg-type]
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://meria.test",
        headers={"Authorization": f"Bearer {token}"},
    )
    return Served(app, http)


@pytest.mark.parametrize("service", list(LISTS))
async def test_a_list_runs_the_same_statements_and_rows_at_2000_rows_as_at_100(
    service: str, tmp_path: Path, new_database: DatabaseFactory
) -> None:
    small = await serve(service, SMALL, tmp_path, new_database)
    large = await serve(service, LARGE, tmp_path, new_database)
    grown = []
    try:
        for path, params in LISTS[service]:
            few, few_rows = await small.count(path, params)
            many, many_rows = await large.count(path, params)
            if len(many) != len(few) or many_rows > max(few_rows, MOST_ROWS):
                grown.append(
                    f"{path} {params}: {len(few)} statements and {few_rows} rows at {SMALL}, "
                    f"{len(many)} and {many_rows} at {LARGE}\n    "
                    + "\n    ".join(statement[:160] for statement in many)
                )
    finally:
        for each in (small, large):
            await each.http.aclose()
            await each.database.dispose()
    assert not grown, "\n".join(grown)


async def test_a_word_most_documents_hold_is_searched_among_the_newest_that_hold_it(
    tmp_path: Path, new_database: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The municipality's name is in nearly every document: the trigram index reads the
    newest editions that hold it, no more than the window, and the answer says so; a rarer
    word is counted whole."""
    from services.publishing import documents

    monkeypatch.setattr(documents, "TEXT_WINDOW", 40)
    served = await serve("publishing", 300, tmp_path, new_database)
    try:
        common = (await served.http.get("/documents", params={"text": "ახმეტის"})).json()
        everything = (await served.http.get("/documents", params={"limit": 1})).json()
        newest = everything["items"][0]["id"]
        if served.database.is_sqlite:
            assert common["windowed"] is True
            assert 0 < common["total"] <= 40
            assert common["items"][0]["id"] >= newest - 40
        else:  # PostgreSQL looks in the texts themselves: every match, exactly
            assert common["windowed"] is False and common["total"] > 40
        title = common["items"][0]["title_ka"]
        word = max(title.split(), key=len)
        rare = (await served.http.get("/documents", params={"text": word})).json()
        assert rare["windowed"] is (rare["total"] >= 40 and served.database.is_sqlite)
        assert any(item["title_ka"] == title for item in rare["items"])
    finally:
        await served.http.aclose()
        await served.database.dispose()
