"""Staff accounts: argon2 password hashes, sign-in with lock-out, and sign-in sessions.

A failed sign-in never says whether the user name exists. After `lockout_failures`
failures in a row the account is locked for `lockout_minutes`, even for the right
password; a successful sign-in clears the count. In production the demo password is
refused, whatever the account.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from meria.auth import ROLES, Role, User
from services.portal.models import Account, SignIn
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

    def __init__(self, reason: str, until: datetime | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.until = until


def now() -> datetime:
    return datetime.now(UTC)


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
    """The account, if the password is right and the account may sign in; else SignInRefused.

    The caller commits: the failure count must be kept even when the sign-in fails.
    """
    account = await session.get(Account, username.strip().lower())
    if account is None or account.password_hash is None or not account.active:
        _verify(_DUMMY_HASH, password)
        raise SignInRefused("wrong_credentials")
    moment = now()
    if account.locked_until is not None and account.locked_until > moment:
        raise SignInRefused("locked", account.locked_until)
    if not _verify(account.password_hash, password):
        account.failed_attempts += 1
        if account.failed_attempts >= settings.lockout_failures:
            account.locked_until = moment + timedelta(minutes=settings.lockout_minutes)
            account.failed_attempts = 0
            raise SignInRefused("locked", account.locked_until)
        raise SignInRefused("wrong_credentials")
    if settings.production and password == DEMO_PASSWORD:
        raise SignInRefused("default_password")
    account.failed_attempts = 0
    account.locked_until = None
    account.last_sign_in = moment
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


async def touch(session: AsyncSession, sign_in_id: str) -> None:
    await session.execute(update(SignIn).where(SignIn.id == sign_in_id).values(last_seen_at=now()))


async def end_session(session: AsyncSession, sign_in_id: str) -> None:
    await session.execute(
        update(SignIn)
        .where(SignIn.id == sign_in_id, SignIn.ended_at.is_(None))
        .values(ended_at=now())
    )


async def upsert_account(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    roles: list[str],
    email: str | None = None,
    password: str | None = None,
    language: str = "ka",
) -> tuple[Account, bool]:
    """Create or change an account; returns it and whether it is new."""
    account = await session.get(Account, username)
    created = account is None
    if account is None:
        account = Account(username=username, created_at=now(), failed_attempts=0)
        session.add(account)
    account.display_name = display_name
    account.roles = sorted(set(roles))
    account.email = email
    account.language = language
    account.active = True
    if password is not None:
        account.password_hash = hash_password(password)
    return account, created


async def display_names(session: AsyncSession, usernames: set[str]) -> dict[str, str]:
    """Names to show for the user names in a history; unknown ones stay as they are."""
    if not usernames:
        return {}
    found = await session.execute(
        select(Account.username, Account.display_name).where(Account.username.in_(usernames))
    )
    return {username: name for username, name in found.tuples()}
