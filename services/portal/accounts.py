"""Staff accounts: argon2 password hashes, sign-in, sign-in sessions, and the record of
every change of an account.

A failed sign-in never says whether the user name exists. Failures are not counted here:
throttling (services.portal.attempts) slows guessing without letting anyone lock an
account. In production the demo password is refused, whatever the account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import ROLES, Role, User
from services.portal.i18n import _
from services.portal.labels import SYSTEM_ACTORS
from services.portal.models import Account, AccountChange, SignIn
from services.portal.settings import DEMO_PASSWORD, PortalSettings

hasher = PasswordHasher()
# Verified against when the user name is unknown, so the answer takes as long.
_DUMMY_HASH = hasher.hash(secrets.token_hex(16))

# A person's roles; Meria's own processes have identities of their own, no role.
STAFF_ROLES = ROLES
StaffRole = Role
MIN_PASSWORD_LENGTH = 12


class SignInRefused(Exception):
    """Why a sign-in failed, as a message key the page translates."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def now() -> datetime:
    return datetime.now(UTC)


def normal_username(username: str) -> str:
    return username.strip().lower()


def hash_password(password: str) -> str:
    return hasher.hash(password)


def check_password_rules(settings: PortalSettings, password: str) -> str | None:
    """Why a new password is not acceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return "password_too_short"
    if settings.production and password == DEMO_PASSWORD:
        return "password_is_default"
    return None


def as_user(account: Account) -> User:
    roles = frozenset(role for role in account.roles if role in STAFF_ROLES)
    return User(id=account.username, name=account.display_name, roles=roles)


async def authenticate(
    session: AsyncSession, settings: PortalSettings, username: str, password: str
) -> Account:
    """The account, if the password is right and the account may sign in; else SignInRefused."""
    account = await session.get(Account, normal_username(username))
    if account is None or account.password_hash is None or not account.active:
        _verify(_DUMMY_HASH, password)
        raise SignInRefused("wrong_credentials")
    if not _verify(account.password_hash, password):
        raise SignInRefused("wrong_credentials")
    if settings.production and password == DEMO_PASSWORD:
        raise SignInRefused("default_password")
    account.last_sign_in = now()
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    return account


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def start_session(session: AsyncSession, username: str, method: str) -> str:
    moment = now()
    sign_in = SignIn(
        id=secrets.token_urlsafe(32),
        username=username,
        method=method,
        created_at=moment,
        last_seen_at=moment,
    )
    session.add(sign_in)
    return sign_in.id


@dataclass(frozen=True)
class Signed:
    account: Account
    sign_in: SignIn

    @property
    def user(self) -> User:
        return as_user(self.account)


async def signed_in(
    session: AsyncSession, settings: PortalSettings, sign_in_id: str
) -> Signed | None:
    """The live sign-in behind a cookie, or None when it ended, idled out or expired."""
    row = (
        await session.execute(
            select(SignIn, Account)
            .join(Account, Account.username == SignIn.username)
            .where(SignIn.id == sign_in_id)
        )
    ).first()
    if row is None:
        return None
    sign_in, account = row
    moment = now()
    if (
        sign_in.ended_at is not None
        or not account.active
        or moment - sign_in.last_seen_at > timedelta(minutes=settings.session_idle_minutes)
        or moment - sign_in.created_at > timedelta(hours=settings.session_max_hours)
    ):
        return None
    return Signed(account, sign_in)


# How stale a sign-in's last-seen time may be before a page writes it again: far below
# the idle timeout (minutes), far above the time between one person's pages.
TOUCH_EVERY = timedelta(seconds=60)


def seen_long_ago(sign_in: SignIn) -> bool:
    return now() - sign_in.last_seen_at >= TOUCH_EVERY


async def touch(session: AsyncSession, sign_in_id: str) -> None:
    await session.execute(update(SignIn).where(SignIn.id == sign_in_id).values(last_seen_at=now()))


async def end_session(session: AsyncSession, sign_in_id: str) -> None:
    await session.execute(
        update(SignIn)
        .where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
        .values(ended_at=now())
    )


class AccountRefused(Exception):
    """A change of an account that may not be made, as a problem's status and words."""

    def __init__(self, status: int, title: str, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail


# What the record of a change compares; the password only says that it was set.
RECORDED = ("display_name", "email", "roles", "language", "active")


def snapshot(account: Account | None) -> dict[str, Any]:
    if account is None:
        return {}
    return {field: getattr(account, field) for field in RECORDED}


def record_change(
    session: AsyncSession,
    account: Account,
    before: dict[str, Any],
    *,
    actor: str,
    reason: str | None,
    password_set: bool = False,
) -> AccountChange | None:
    """Keep who changed the account, when, what and why; None when nothing changed."""
    after = snapshot(account)
    changes: dict[str, Any] = {
        field: {"before": before.get(field), "after": after[field]}
        for field in RECORDED
        if before.get(field) != after[field]
    }
    if password_set:
        changes["password"] = {"set": True}
    if not changes:
        return None
    if not before:
        action = "created"
    elif "active" in changes:
        action = "enabled" if account.active else "disabled"
    else:
        action = "changed"
    change = AccountChange(
        username=account.username, at=now(), actor=actor, action=action,
        changes=changes, reason=reason,
    )  # fmt: skip
    session.add(change)
    return change


def _is_admin(values: dict[str, Any]) -> bool:
    return bool(values.get("active")) and "admin" in (values.get("roles") or [])


async def _other_active_admins(session: AsyncSession, username: str) -> int:
    found = await session.scalars(
        select(Account).where(Account.active.is_(True), Account.username != username)
    )
    return sum(1 for account in found if "admin" in account.roles)


async def upsert_account(
    session: AsyncSession,
    *,
    actor: str,
    username: str,
    display_name: str,
    roles: list[str],
    email: str | None = None,
    password: str | None = None,
    language: str = "ka",
    active: bool = True,
    reason: str | None = None,
) -> tuple[Account, bool]:
    """Create or change an account, on the record; returns it and whether it is new.

    A change of an existing account's roles, and switching it off, say why; the last
    active administrator keeps the role (else nobody could administer the portal).
    """
    account = await session.get(Account, username)
    created = account is None
    before = snapshot(account)
    if account is None:
        account = Account(username=username, created_at=now())
        session.add(account)
    account.display_name = display_name
    account.roles = sorted(set(roles))
    account.email = email
    account.language = language
    account.active = active
    if password is not None:
        account.password_hash = hash_password(password)
    if not created and not reason:
        if before["roles"] != account.roles:
            raise AccountRefused(422, "Reason required", "A change of roles says why (reason).")
        if before["active"] and not active:
            raise AccountRefused(422, "Reason required", "Switching an account off says why.")
    after = snapshot(account)
    if (
        _is_admin(before)
        and not _is_admin(after)
        and not await _other_active_admins(session, username)
    ):
        raise AccountRefused(
            409, "Last administrator",
            f"{username} is the last active administrator; make another one first.",
        )  # fmt: skip
    record_change(
        session, account, before, actor=actor, reason=reason, password_set=password is not None
    )
    return account, created


async def account_changes(
    session: AsyncSession, username: str | None = None, limit: int = 100
) -> list[AccountChange]:
    """The record of changes, newest first; of one account when named."""
    query = select(AccountChange).order_by(AccountChange.id.desc()).limit(limit)
    if username:
        query = query.where(AccountChange.username == username)
    return list(await session.scalars(query))


async def display_names(session: AsyncSession, usernames: set[str]) -> dict[str, str]:
    """Names to show for the user names in a history; Meria's own processes by what they
    are; unknown ones stay as they are."""
    system = {name: _(text) for name, text in SYSTEM_ACTORS.items() if name in usernames}
    people = usernames - system.keys()
    if not people:
        return system
    found = await session.execute(
        select(Account.username, Account.display_name).where(Account.username.in_(people))
    )
    return system | {username: name for username, name in found.tuples()}
