"""Signing in to the portal through a real OpenID Connect provider (`oidc-provider-mock`,
a Flask provider on its own port) instead of passwords, with publishing and Temporal
running: the account and its roles come from the provider's claims, and the services
accept the portal's token for that person."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread

from meria.testing.servers import NatsServer, TemporalDevServer
from tests.conftest import DatabaseFactory
from tests.support.portal import Person
from tests.support.stack import Stack, running_stack

pytestmark = pytest.mark.database

CLIENT_ID = "meria-portal"
TITLE = "ახმეტის მუნიციპალიტეტის მერის ბრძანება საგაზაფხულო დასუფთავების შესახებ"
BODY = "1. ახმეტის, მატანისა და ქისტაურის ქუჩები დასუფთავდეს აპრილის პირველ შაბათს."


@pytest.fixture
def provider() -> Iterator[str]:
    """The municipality's provider: it signs anyone in whose subject is typed on its form,
    with the claims set for that subject, and it insists on a nonce."""
    with run_server_in_thread(port=0, require_nonce=True) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
async def portal(
    tmp_path: Path,
    nats_server: NatsServer,
    temporal_server: TemporalDevServer,
    new_database: DatabaseFactory,
    provider: str,
) -> AsyncIterator[Stack]:
    async with (
        running_stack(
            ["publishing", "portal"],
            tmp_path=tmp_path,
            nats_url=nats_server.url,
            temporal_address=temporal_server.address,
            new_database=new_database,
            oidc_issuer=provider,
            oidc_client_id=CLIENT_ID,
            oidc_client_secret="the portal's secret at the provider",
        ) as stack,
        httpx.AsyncClient(timeout=20) as http,
    ):
        response = await http.put(
            f"{stack.urls['publishing']}/issuers/mayor",
            headers=stack.headers("admin"),
            json={"name_ka": "ახმეტის მუნიციპალიტეტის მერი", "name_en": "Mayor of Akhmeta"},
        )
        assert response.status_code == 200
        yield stack


async def set_claims(provider: str, subject: str, claims: dict[str, Any]) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.put(f"{provider}/users/{subject}", json=claims)
        assert response.status_code == 204, response.text


async def to_provider(person: Person, start: str) -> str:
    """From a portal page to the provider's authorization form; its address."""
    sign_in = await person.get(start)
    assert sign_in.status_code == 303, sign_in.text
    page = await person.get(sign_in.headers["location"])
    # With a provider, the sign-in page has no password to type, only the provider's link.
    assert 'name="password"' not in page.text
    assert 'href="/sign-in/oidc?next=' in page.text
    link = page.text.split('href="/sign-in/oidc?next=', 1)[1].split('"', 1)[0]
    away = await person.get(f"/sign-in/oidc?next={link}")
    assert away.status_code == 302, away.text
    return away.headers["location"]


async def at_provider(authorize: str, answer: dict[str, str]) -> str:
    """The person answers the provider's form; the address it sends them back to."""
    async with httpx.AsyncClient(timeout=20) as browser:
        form = await browser.get(authorize)
        assert form.status_code == 200 and 'name="sub"' in form.text, form.text
        # The form posts back to its own address.
        answered = await browser.post(authorize, data=answer)
        assert answered.status_code == 302, answered.text
        return answered.headers["location"]


async def account(stack: Stack, username: str) -> dict[str, Any] | None:
    async with httpx.AsyncClient(timeout=20) as http:
        found = await http.get(
            f"{stack.urls['portal']}/api/accounts", headers=stack.headers("admin", user="setup")
        )
    assert found.status_code == 200
    return next((item for item in found.json() if item["username"] == username), None)


async def test_staff_sign_in_through_the_provider(portal: Stack, provider: str) -> None:
    await set_claims(provider, "5f0c9a1e-eka", {
        "preferred_username": "Eka.Tsiklauri", "name": "ეკა წიკლაური",
        "email": "eka.tsiklauri@akhmeta.gov.ge",
        # Roles the portal does not know are the provider's business, not Meria's.
        "roles": ["editor", "head_of_department", "municipal_it_staff"],
    })  # fmt: skip
    eka = Person(portal, "eka.tsiklauri")
    authorize = await to_provider(eka, "/inbox")
    # The code flow with PKCE, state and nonce, coming back to the portal's own address.
    asked = parse_qs(urlsplit(authorize).query)
    assert authorize.startswith(f"{provider}/")
    assert asked["response_type"] == ["code"] and asked["client_id"] == [CLIENT_ID]
    assert asked["redirect_uri"] == [f"{portal.urls['portal']}/sign-in/oidc/callback"]
    assert asked["code_challenge_method"] == ["S256"] and asked["code_challenge"][0]
    assert asked["state"][0] and asked["nonce"][0]
    assert set(asked["scope"][0].split()) >= {"openid", "profile", "email"}

    back = await at_provider(authorize, {"sub": "5f0c9a1e-eka"})
    assert back.startswith(f"{portal.urls['portal']}/sign-in/oidc/callback?")
    arrived = await eka.get(back)
    assert arrived.status_code == 303 and arrived.headers["location"] == "/inbox"
    inbox = await eka.get("/inbox")
    assert inbox.status_code == 200 and "ეკა წიკლაური" in inbox.text
    kept = await account(portal, "eka.tsiklauri")
    assert kept is not None
    assert kept["roles"] == ["editor", "head_of_department"]
    assert kept["email"] == "eka.tsiklauri@akhmeta.gov.ge" and not kept["has_password"]

    # The services take the portal's token for her: a draft she writes is hers at
    # publishing, and the documents page lists it from there.
    created = await eka.post(
        "/documents/new",
        {"document_type": "mayor_order", "issuer_code": "mayor", "title_ka": TITLE,
         "title_en": "Spring clean-up", "body_ka": BODY, "action": "save"},
    )  # fmt: skip
    assert created.status_code == 303, created.text
    document_id = int(created.headers["location"].split("?")[0].rsplit("/", 1)[1])
    async with httpx.AsyncClient(timeout=20) as http:
        document = await http.get(
            f"{portal.urls['publishing']}/documents/{document_id}",
            headers=portal.headers("admin"),
        )
    assert document.json()["created_by"] == "eka.tsiklauri"
    listed = await eka.get("/documents")
    assert listed.status_code == 200 and TITLE in listed.text

    # Signing out ends the portal's sign-in; the next one follows the provider's word
    # again, so a role taken away there is gone here too.
    assert (await eka.post("/sign-out")).status_code == 303
    assert (await eka.get("/inbox")).status_code == 303
    await set_claims(provider, "5f0c9a1e-eka", {
        "preferred_username": "eka.tsiklauri", "name": "ეკა წიკლაური-ბერიძე",
        "roles": ["editor"],
    })  # fmt: skip
    again = await at_provider(await to_provider(eka, "/documents"), {"sub": "5f0c9a1e-eka"})
    arrived = await eka.get(again)
    assert arrived.status_code == 303 and arrived.headers["location"] == "/documents"
    kept = await account(portal, "eka.tsiklauri")
    assert kept is not None and kept["roles"] == ["editor"]
    assert kept["display_name"] == "ეკა წიკლაური-ბერიძე"
    assert "ეკა წიკლაური-ბერიძე" in (await eka.get("/documents")).text
    await eka.close()


async def test_no_meria_role_denial_and_tampered_state_sign_nobody_in(
    portal: Stack, provider: str
) -> None:
    # Someone the provider knows but who holds no Meria role is refused, and no account
    # is made for them.
    await set_claims(provider, "giorgi", {
        "preferred_username": "giorgi.maisuradze", "name": "გიორგი მაისურაძე",
        "roles": ["municipal_it_staff"],
    })  # fmt: skip
    giorgi = Person(portal, "giorgi.maisuradze")
    await giorgi.get("/language", params={"to": "en", "next": "/"})
    back = await at_provider(await to_provider(giorgi, "/inbox"), {"sub": "giorgi"})
    refused = await giorgi.get(back)
    assert refused.status_code == 403
    assert "no role in the portal" in refused.text and 'role="alert"' in refused.text
    assert await account(portal, "giorgi.maisuradze") is None
    assert (await giorgi.get("/inbox")).status_code == 303
    await giorgi.close()

    # A person who says no at the provider comes back to a clear page, signed out.
    await set_claims(provider, "nana", {"preferred_username": "nana.kavtaradze",
                                        "roles": ["media_officer"]})  # fmt: skip
    nana = Person(portal, "nana.kavtaradze")
    await nana.get("/language", params={"to": "en", "next": "/"})
    denied = await nana.get(
        await at_provider(await to_provider(nana, "/inbox"), {"action": "deny"})
    )
    assert denied.status_code == 400 and "did not let you through" in denied.text
    assert await account(portal, "nana.kavtaradze") is None

    # A callback whose state is not the one this browser was given is refused, and the
    # flow it pretended to finish is abandoned: the genuine answer is refused after it.
    back = await at_provider(await to_provider(nana, "/inbox"), {"sub": "nana"})
    parts = urlsplit(back)
    query = parse_qs(parts.query)
    query["state"] = ["forged" + query["state"][0][6:]]
    forged = urlunsplit(parts._replace(query=urlencode(query, doseq=True)))
    tampered = await nana.get(forged)
    assert tampered.status_code == 400 and "was not started here" in tampered.text
    late = await nana.get(back)
    assert late.status_code == 400
    assert await account(portal, "nana.kavtaradze") is None
    assert (await nana.get("/inbox")).status_code == 303

    # Only after a fresh, untampered round is she in.
    back = await at_provider(await to_provider(nana, "/inbox"), {"sub": "nana"})
    assert (await nana.get(back)).headers["location"] == "/inbox"
    inbox = await nana.get("/inbox")
    assert inbox.status_code == 200 and "nana.kavtaradze" in inbox.text
    await nana.close()

    # Another browser cannot finish a flow this one started.
    stranger = Person(portal, "stranger")
    started = Person(portal, "nana.kavtaradze")
    back = await at_provider(await to_provider(started, "/inbox"), {"sub": "nana"})
    assert (await stranger.get(back)).status_code == 400
    await stranger.close()
    await started.close()
