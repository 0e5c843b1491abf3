"""The accounts API for administrators and scripts (bearer token, role `admin`): accounts,
and the record of every change of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from meria.auth import User, require_role
from meria.problems import Problem
from meria.web import RuntimeDep
from services.portal import accounts
from services.portal.models import Account
from services.portal.settings import PortalSettings

router = APIRouter(tags=["accounts"])
AdminUser = Annotated[User, require_role("admin")]
USERNAME = r"^[a-z0-9][a-z0-9._-]{1,99}$"


class AccountUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=200)
    roles: list[accounts.StaffRole] = Field(min_length=1)
    email: str | None = Field(None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=320)
    password: str | None = Field(None, max_length=1000)
    language: str = Field("ka", pattern="^(ka|en)$")
    active: bool = Field(True, description="False switches the account off (with a reason)")
    reason: str | None = Field(
        None,
        min_length=3,
        max_length=2000,
        description="Why; required to change an account's roles or to switch it off",
    )


class AccountPublic(BaseModel):
    username: str
    display_name: str
    roles: list[str]
    email: str | None
    language: str
    active: bool
    has_password: bool


def public(account: Account) -> AccountPublic:
    return AccountPublic(
        username=account.username,
        display_name=account.display_name,
        roles=list(account.roles),
        email=account.email,
        language=account.language,
        active=account.active,
        has_password=account.password_hash is not None,
    )


class AccountChangePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    at: datetime
    actor: str
    action: str
    changes: dict[str, Any]
    reason: str | None


@router.get("/api/accounts", summary="Every staff account")
async def list_accounts(_: AdminUser, runtime: RuntimeDep) -> list[AccountPublic]:
    async with runtime.db().session() as session:
        found = (await session.execute(select(Account).order_by(Account.username))).scalars()
        return [public(account) for account in found]


@router.put(
    "/api/accounts/{username}",
    summary="Create or change an account (kept on the record with who, when and why)",
)
async def put_account(
    username: Annotated[str, Path(pattern=USERNAME)],
    change: AccountUpdate,
    user: AdminUser,
    runtime: RuntimeDep,
) -> AccountPublic:
    settings = runtime.settings
    assert isinstance(settings, PortalSettings)
    if change.password is not None:
        reason = accounts.check_password_rules(settings, change.password)
        if reason == "password_too_short":
            raise Problem(
                422, "Password too short",
                f"A password needs at least {accounts.MIN_PASSWORD_LENGTH} characters.",
            )  # fmt: skip
        if reason == "password_is_default":
            raise Problem(422, "Default password", "Production refuses the demo password.")
    try:
        async with runtime.db().transaction() as session:
            account, _created = await accounts.upsert_account(
                session,
                actor=user.id,
                username=username,
                display_name=change.display_name,
                roles=list(change.roles),
                email=change.email,
                password=change.password,
                language=change.language,
                active=change.active,
                reason=change.reason,
            )
            return public(account)
    except accounts.AccountRefused as refused:
        raise Problem(refused.status, refused.title, refused.detail) from None


@router.get("/api/account-changes", summary="Every change of an account, newest first")
async def list_account_changes(
    _: AdminUser,
    runtime: RuntimeDep,
    username: Annotated[str | None, Query(pattern=USERNAME)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AccountChangePublic]:
    async with runtime.db().session() as session:
        found = await accounts.account_changes(session, username, limit)
        return [AccountChangePublic.model_validate(change) for change in found]
