"""Portal accounts on a real SQLite database: passwords, sessions, production, and the record
of every change of an account."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from meria.config import SettingsError, load_settings
from meria.db import Database, migrate
from services.portal import accounts
from services.portal.app import PARTS
from services.portal.models import Account
from services.portal.settings import DEMO_PASSWORD, PortalSettings

SECRET = "a-production-secret-that-is-long-enough-0123456789"


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'portal.db'}")
    assert PARTS.migrations is not None and PARTS.metadata is not None
    await migrate(database, PARTS.migrations, PARTS.metadata)
    yield database
    await database.dispose()


async def add_editor(database: Database, password: str = DEMO_PASSWORD) -> None:
    async with database.transaction() as session:
        await accounts.upsert_account(
            session, actor="setup", username="nino.beridze", display_name="ნინო ბერიძე",
            roles=["editor", "system"], password=password,
        )  # fmt: skip


async def attempt(database: Database, settings: PortalSettings, password: str) -> str:
    async with database.transaction() as session:
        try:
            account = await accounts.authenticate(session, settings, "Nino.Beridze ", password)
        except accounts.SignInRefused as refused:
            return refused.reason
        return account.username


async def test_the_password_is_stored_as_an_argon2_hash_and_checked(database: Database) -> None:
    await add_editor(database)
    async with database.session() as session:
        account = await session.get(Account, "nino.beridze")
        assert account is not None and account.password_hash is not None
        assert account.password_hash.startswith("$argon2id$")
        assert DEMO_PASSWORD not in account.password_hash
        # The system role never comes from an account: it is Meria's own processes'.
        assert accounts.as_user(account).roles == {"editor"}
    settings = PortalSettings()
    assert await attempt(database, settings, DEMO_PASSWORD) == "nino.beridze"
    assert await attempt(database, settings, "wrong") == "wrong_credentials"
    # An unknown user gets the same answer as a wrong password.
    async with database.transaction() as session:
        with pytest.raises(accounts.SignInRefused) as refused:
            await accounts.authenticate(session, settings, "nobody", DEMO_PASSWORD)
    assert refused.value.reason == "wrong_credentials"


async def test_repeated_failures_lock_nobody_out(database: Database) -> None:
    # Throttling slows guessing (services.portal.attempts); the account itself never locks.
    await add_editor(database)
    settings = PortalSettings()
    for _ in range(12):
        assert await attempt(database, settings, "wrong") == "wrong_credentials"
    assert await attempt(database, settings, DEMO_PASSWORD) == "nino.beridze"


async def test_every_change_of_an_account_is_kept_with_who_and_why(database: Database) -> None:
    await add_editor(database)

    async def change(actor: str, **fields: object) -> None:
        values: dict[str, object] = {
            "username": "nino.beridze", "display_name": "ნინო ბერიძე", "roles": ["editor"],
        } | fields  # fmt: skip
        async with database.transaction() as session:
            await accounts.upsert_account(session, actor=actor, **values)  # type: ignore[arg-type]

    # A change of roles says why; without a reason it is refused and nothing changes.
    with pytest.raises(accounts.AccountRefused, match="says why"):
        await change("portal.admin", roles=["editor", "head_of_department"])
    await change(
        "portal.admin", roles=["editor", "head_of_department"],
        reason="ნინო განყოფილების უფროსის მოვალეობას ასრულებს",
    )  # fmt: skip
    await change(
        "portal.admin", roles=["editor", "head_of_department"], password="ახალი-პაროლი-2026"
    )
    with pytest.raises(accounts.AccountRefused, match="Switching an account off"):
        await change("portal.admin", roles=["editor", "head_of_department"], active=False)
    await change(
        "portal.admin", roles=["editor", "head_of_department"], active=False,
        reason="შვებულებაშია",
    )  # fmt: skip
    async with database.session() as session:
        found = await accounts.account_changes(session, "nino.beridze")
    assert [c.action for c in found] == ["disabled", "changed", "changed", "created"]
    disabled, password, roles, created = found
    assert disabled.changes == {"active": {"before": True, "after": False}}
    assert disabled.reason == "შვებულებაშია" and disabled.actor == "portal.admin"
    # The password is never on the record, only that it was set.
    assert password.changes == {"password": {"set": True}} and "ახალი" not in str(password.changes)
    assert roles.changes == {
        "roles": {"before": ["editor", "system"], "after": ["editor", "head_of_department"]}
    }
    assert created.actor == "setup" and created.changes["roles"]["after"] == ["editor", "system"]


async def test_the_last_active_administrator_keeps_the_role(database: Database) -> None:
    async def put(username: str, roles: list[str], **fields: object) -> None:
        async with database.transaction() as session:
            await accounts.upsert_account(
                session, actor="portal.admin", username=username, display_name=username,
                roles=roles, reason="ტესტი", **fields,  # type: ignore[arg-type]
            )  # fmt: skip

    await put("portal.admin", ["admin"])
    with pytest.raises(accounts.AccountRefused, match="last active administrator"):
        await put("portal.admin", ["editor"])
    with pytest.raises(accounts.AccountRefused, match="last active administrator"):
        await put("portal.admin", ["admin"], active=False)
    # With a second administrator, the first may step down.
    await put("eka.admin", ["admin", "editor"])
    await put("portal.admin", ["editor"])
    async with database.session() as session:
        account = await session.get(Account, "portal.admin")
        assert account is not None and account.roles == ["editor"]


async def test_a_session_ends_on_sign_out_and_after_idling(database: Database) -> None:
    await add_editor(database)
    settings = PortalSettings(session_idle_minutes=30)
    async with database.transaction() as session:
        sign_in = await accounts.start_session(session, "nino.beridze", "password")
    async with database.session() as session:
        signed = await accounts.signed_in(session, settings, sign_in)
        assert signed is not None and signed.user.name == "ნინო ბერიძე"
    # A page within the minute does not write the last-seen time; the first after it does.
    assert not accounts.seen_long_ago(signed.sign_in)
    signed.sign_in.last_seen_at = accounts.now() - timedelta(seconds=61)
    assert accounts.seen_long_ago(signed.sign_in)
    async with database.transaction() as session:
        from services.portal.models import SignIn

        row = await session.get(SignIn, sign_in)
        assert row is not None
        row.last_seen_at = accounts.now() - timedelta(minutes=31)
    async with database.session() as session:
        assert await accounts.signed_in(session, settings, sign_in) is None
    async with database.transaction() as session:
        other = await accounts.start_session(session, "nino.beridze", "password")
        await accounts.end_session(session, other)
    async with database.session() as session:
        assert await accounts.signed_in(session, settings, other) is None


async def test_production_refuses_the_demo_password(database: Database) -> None:
    await add_editor(database)
    production = PortalSettings(
        environment="production", secret_key=SECRET, token_keyset="jwks.json"
    )
    assert await attempt(database, production, DEMO_PASSWORD) == "default_password"
    assert accounts.check_password_rules(production, DEMO_PASSWORD) == "password_is_default"
    assert accounts.check_password_rules(production, "short") == "password_too_short"
    assert accounts.check_password_rules(production, "ალაზნის-ველი-2026") is None


def test_an_oidc_issuer_needs_its_client_id() -> None:
    with pytest.raises(SettingsError, match="MERIA_PORTAL_OIDC_CLIENT_ID"):
        load_settings(PortalSettings, oidc_issuer="http://127.0.0.1:9000")
