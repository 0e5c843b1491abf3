"""Signing in to the portal over real HTTP while someone else guesses: failures are slowed
with waits that grow, by account, by address and by browser, and the person keeps their
way in from their own browser and desk; and the accounts API keeps every change with who
and why. Windows of seconds (settings), so nothing waits for minutes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from meria.testing.servers import NatsServer, TemporalDevServer
from services.portal.settings import DEMO_PASSWORD
from tests.conftest import DatabaseFactory
from tests.support.portal import STAFF, Person, create_staff
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

MARIAM = STAFF["protocol"][0]
DESK, ELSEWHERE, HOME = "198.51.100.10", "203.0.113.66", "192.0.2.44"


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            # The municipality's proxy in front: it says who the client is.
            trusted_proxies=["127.0.0.1"],
            sign_in_pair_limits="3/5 seconds;5/minute",
            sign_in_account_limits="7/minute",
            sign_in_address_limits="9/minute",
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        yield stack


def browser(stack: Stack, address: str, username: str = MARIAM) -> Person:
    """A browser at an address, as the proxy reports it."""
    someone = Person(stack, username)
    someone.http.headers["X-Forwarded-For"] = address
    return someone


async def test_guessing_is_slowed_and_the_person_still_signs_in(portal: Stack) -> None:
    # Mariam signs in at her desk: the browser and the address are hers from now on.
    mariam = browser(portal, DESK)
    assert (await mariam.sign_in()).status_code == 303
    await mariam.post("/sign-out")

    # Someone guesses her password from elsewhere: three tries, then a wait of seconds.
    guesser = browser(portal, ELSEWHERE)
    for _ in range(3):
        assert (await guesser.sign_in(password="ახმეტა-2026")).status_code == 401
    held = await guesser.sign_in(password="ალვანი-2026")
    assert held.status_code == 429
    assert "ბევრი წარუმატებელი" in held.text
    first_wait = int(held.headers["retry-after"])
    assert 0 < first_wait <= 5
    # Held back means not tried: even the right password waits.
    assert (await guesser.sign_in()).status_code == 429
    await asyncio.sleep(first_wait + 0.2)
    # Two more, and the next limit holds for the rest of its minute: the waits grow.
    for _ in range(2):
        assert (await guesser.sign_in(password="თუშეთი-2026")).status_code == 401
    held = await guesser.sign_in(password="ომალო-2026")
    assert held.status_code == 429 and int(held.headers["retry-after"]) > first_wait

    # Meanwhile Mariam, from her own browser, signs in at once.
    assert (await mariam.sign_in()).status_code == 303

    # The guesser moves from address to address; the account holds strangers back.
    for number in (1, 2):
        moving = browser(portal, f"203.0.113.{100 + number}")
        assert (await moving.sign_in(password="კახეთი-2026")).status_code == 401
        await moving.close()
    stranger = browser(portal, HOME)
    assert (await stranger.sign_in()).status_code == 429
    # A new browser at her usual desk is not a stranger, nor is her own browser anywhere.
    new_browser = browser(portal, DESK)
    assert (await new_browser.sign_in()).status_code == 303
    mariam.http.headers["X-Forwarded-For"] = HOME
    assert (await mariam.sign_in()).status_code == 303
    for someone in (mariam, guesser, stranger, new_browser):
        await someone.close()


async def test_one_address_trying_many_accounts_is_held_back(portal: Stack) -> None:
    # Names that exist and names that do not count alike: the answer tells nothing.
    sprayer = browser(portal, ELSEWHERE)
    names = [username for username, _, _ in STAFF.values()] + ["nobody.here", "ghost", "x.y"]
    for name in names[:9]:
        sprayer.username = name
        assert (await sprayer.sign_in(password="ზაფხული-2026")).status_code == 401
    sprayer.username = names[9 % len(names)]
    held = await sprayer.sign_in(password="ზაფხული-2026")
    assert held.status_code == 429 and int(held.headers["retry-after"]) > 2
    # Another address is not held by it.
    editor = browser(portal, DESK, STAFF["editor"][0])
    assert (await editor.sign_in()).status_code == 303
    await sprayer.close()
    await editor.close()


async def test_a_forwarded_address_counts_only_from_a_trusted_proxy(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
) -> None:
    async with (
        running_stack(
            ["portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            sign_in_pair_limits="2/minute",
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        await create_staff(stack, http)
        # No proxy is trusted: a header naming a new address each time changes nothing.
        for number in range(2):
            liar = browser(stack, f"203.0.113.{number}")
            assert (await liar.sign_in(password="ზამთარი-2026")).status_code == 401
            await liar.close()
        liar = browser(stack, "203.0.113.99")
        assert (await liar.sign_in()).status_code == 429
        await liar.close()


async def test_every_change_of_an_account_is_on_the_record(portal: Stack) -> None:
    base = portal.urls["portal"]
    admin = portal.headers("admin", user="portal.admin")
    nino = STAFF["editor"]
    async with httpx.AsyncClient(base_url=base, timeout=20) as http:

        async def put(username: str, **body: object) -> httpx.Response:
            return await http.put(f"/api/accounts/{username}", headers=admin, json=body)

        # A change of roles without a reason is refused and changes nothing.
        promote = {"display_name": nino[1], "roles": ["editor", "head_of_department"]}
        refused = await put(nino[0], **promote)
        assert refused.status_code == 422
        assert refused.headers["content-type"] == "application/problem+json"
        why = "თამარ გელაშვილის შვებულების დროს ნინო განყოფილებას ხელმძღვანელობს"
        assert (await put(nino[0], **promote, reason=why)).status_code == 200
        # A new password is on the record as set, never as what it is.
        assert (await put(nino[0], **promote, password="ახალი-პაროლი-2026")).status_code == 200
        # Switching an account off says why; a switched-off account cannot sign in.
        off = {"display_name": nino[1], "roles": promote["roles"], "active": False}
        assert (await put(nino[0], **off)).status_code == 422
        assert (await put(nino[0], **off, reason="სამსახურიდან წავიდა")).status_code == 200
        assert (
            await browser(portal, DESK, nino[0]).sign_in("ახალი-პაროლი-2026")
        ).status_code == 401

        # The last active administrator keeps the role.
        setup = portal.headers("admin", user="setup")
        created = await http.put(
            "/api/accounts/portal.admin", headers=setup,
            json={"display_name": "ადმინისტრატორი", "roles": ["admin"], "password": DEMO_PASSWORD},
        )  # fmt: skip
        assert created.status_code == 200
        demoted = await put("portal.admin", display_name="ადმინისტრატორი", roles=["editor"],
                            reason="ადმინისტრატორი აღარ იქნება")  # fmt: skip
        assert demoted.status_code == 409 and "last active administrator" in demoted.text

        # Administrators read the record: who, when, what and why; others may not.
        record = await http.get("/api/account-changes", headers=admin, params={"username": nino[0]})
        assert record.status_code == 200
        disabled, password, promoted, created_entry = record.json()
        assert (disabled["action"], disabled["reason"]) == ("disabled", "სამსახურიდან წავიდა")
        assert disabled["actor"] == "portal.admin" and disabled["at"]
        assert password["changes"] == {"password": {"set": True}}
        assert promoted["changes"]["roles"] == {
            "before": ["editor"], "after": ["editor", "head_of_department"],
        }  # fmt: skip
        assert promoted["reason"] == why
        assert created_entry["action"] == "created" and created_entry["actor"] == "setup"
        editor = portal.headers("editor", user=nino[0])
        assert (await http.get("/api/account-changes", headers=editor)).status_code == 403

        # The administrator reads both records in the portal too, routes beside accounts.
        route = await http.put(
            f"{portal.urls['publishing']}/routes/news", headers=admin,
            json={"steps": [{"key": "department_review", "role": "head_of_department",
                             "deadline_hours": 24}],
                  "reason": "სიახლეებს ერთი დღე ეყოფა"},
        )  # fmt: skip
        assert route.status_code == 200, route.text
        administrator = browser(portal, DESK, "portal.admin")
        assert (await administrator.sign_in()).status_code == 303
        page = await administrator.get("/dashboard/changes")
        assert page.status_code == 200
        assert "ანგარიშებისა და მარშრუტების ცვლილებები" in page.text
        assert "სამსახურიდან წავიდა" in page.text and why in page.text
        assert "როლები: რედაქტორი → რედაქტორი, განყოფილების უფროსი" in page.text
        assert "პაროლი დაყენდა" in page.text and "ახალი-პაროლი" not in page.text
        assert "სიახლეებს ერთი დღე ეყოფა" in page.text
        head = browser(portal, DESK, STAFF["head"][0])
        assert (await head.sign_in()).status_code == 303
        assert (await head.get("/dashboard/changes")).status_code == 403
        for someone in (administrator, head):
            await someone.close()
