"""Signing in through the municipality's OpenID Connect provider instead of passwords.

When `oidc_issuer` is set, the sign-in page offers only the provider's account. The flow
is the authorization code flow with PKCE, state and nonce, done by authlib from the
provider's discovery document; authlib also checks the ID token's signature, issuer,
audience, expiry and nonce. The provider says who the person is and which Meria roles
they hold (the `oidc_roles_claim`); the portal keeps its own account for them (no
password) and its own sign-in session, exactly as after a password, and calls the
services with its own token for that account. Signing out ends the portal's session
only: the sign-out form cannot hand the browser to another site (the CSP's
`form-action 'self'`), and the provider's session is the provider's to end.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.integrations.starlette_client import (  # type: ignore[import-untyped]
    OAuth,
    OAuthError,
)
from fastapi import APIRouter, Request
from fastapi.responses import Response
from joserfc.errors import JoseError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from meria.logging import get_logger
from meria.runtime import Runtime
from services.portal import accounts
from services.portal.accounts_api import USERNAME
from services.portal.i18n import _, parse_language
from services.portal.models import Account
from services.portal.settings import PortalSettings
from services.portal.web import (
    LANGUAGE_COOKIE,
    MaybeStaff,
    redirect,
    render,
    runtime_of,
    safe_next,
    settings_of,
)

router = APIRouter(include_in_schema=False)
log = get_logger("meria.portal.oidc")

PROVIDER = "municipality"
CALLBACK_PATH = "/sign-in/oidc/callback"
# Where the person was going, kept in the session cookie while they are at the provider.
NEXT_KEY = "oidc_next"
# authlib keeps each pending flow's state, nonce and PKCE verifier under this prefix.
STATE_PREFIX = f"_state_{PROVIDER}_"
USERNAME_PATTERN = re.compile(USERNAME)


def provider(runtime: Runtime) -> Any:
    """The provider's OAuth client, made once per app: it caches the discovery document
    and the provider's keys between sign-ins."""
    client = runtime.state.get("oidc_client")
    if client is None:
        settings = runtime.settings
        assert isinstance(settings, PortalSettings) and settings.oidc_issuer
        secret = settings.oidc_client_secret
        client = OAuth().register(
            name=PROVIDER,
            client_id=settings.oidc_client_id,
            client_secret=secret.get_secret_value() if secret else None,
            server_metadata_url=(
                f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration"
            ),
            client_kwargs={"scope": "openid profile email", "code_challenge_method": "S256",
                           "timeout": 15},
        )  # fmt: skip
        runtime.state["oidc_client"] = client
    return client


@dataclass(frozen=True)
class Person:
    """Who the provider says signed in, in the portal's terms."""

    username: str
    display_name: str
    email: str | None
    roles: list[str]
    language: str | None


class NotUsable(Exception):
    """The provider's answer names nobody the portal can keep an account for."""


def person_from(claims: dict[str, Any], roles_claim: str) -> Person:
    # The user name is what colleagues see on tasks and what the register records as the
    # author, so the readable `preferred_username` comes first; `sub` when there is none.
    username = ""
    for candidate in (claims.get("preferred_username"), claims.get("sub")):
        if isinstance(candidate, str) and USERNAME_PATTERN.match(candidate.strip().lower()):
            username = candidate.strip().lower()
            break
    if not username:
        raise NotUsable()
    name = claims.get("name")
    email = claims.get("email")
    return Person(
        username=username,
        display_name=name.strip()[:200] if isinstance(name, str) and name.strip() else username,
        email=email if isinstance(email, str) and "@" in email else None,
        roles=meria_roles(claims, roles_claim),
        language=parse_language(str(claims.get("locale") or "")[:2] or None),
    )


def meria_roles(claims: dict[str, Any], roles_claim: str) -> list[str]:
    """The staff roles in the claim; the provider's other roles mean nothing here.

    A dotted name reaches into a nested claim (Keycloak's `realm_access.roles`); a string
    is read as space-separated roles.
    """
    value: Any = claims
    for part in roles_claim.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    if isinstance(value, str):
        value = value.split()
    if not isinstance(value, list):
        return []
    return sorted(
        {role for role in value if isinstance(role, str) and role in accounts.STAFF_ROLES}
    )


async def keep_account(session: AsyncSession, person: Person) -> Account | None:
    """Create or update the person's account from the provider's word; None when the
    portal has switched the account off, which the provider cannot undo."""
    account = await session.get(Account, person.username)
    before = accounts.snapshot(account)
    if account is None:
        account = Account(
            username=person.username,
            created_at=accounts.now(),
            language=person.language or "ka",
            active=True,
        )
        session.add(account)
    elif not account.active:
        return None
    account.display_name = person.display_name
    account.email = person.email
    account.roles = person.roles
    # The provider now vouches for this person: a password kept from before must not
    # open the account behind the provider's back.
    account.password_hash = None
    account.last_sign_in = accounts.now()
    # Roles the provider gives or takes are on the account's record like an admin's.
    accounts.record_change(
        session, account, before, actor="oidc", reason="as the identity provider says"
    )
    return account


def forget_flow(request: Request) -> None:
    for key in [key for key in request.session if key.startswith(STATE_PREFIX)]:
        request.session.pop(key, None)
    request.session.pop(NEXT_KEY, None)


async def refusal(
    request: Request, status: int, heading: str, message: str, target: str
) -> Response:
    """A page that says why nobody was signed in; the pending flow is forgotten."""
    forget_flow(request)
    return await render(
        request, "sign_in_refused.html", status_code=status, heading=heading,
        message=message, next=target,
    )  # fmt: skip


async def provider_unavailable(request: Request, target: str) -> Response:
    return await refusal(
        request, 503, _("Temporarily unavailable"),
        _("The municipality's sign-in service is not answering. Try again in a minute."),
        target,
    )  # fmt: skip


def enabled(request: Request) -> PortalSettings:
    settings = settings_of(request)
    if not settings.oidc_enabled:
        raise HTTPException(404)
    return settings


@router.get("/sign-in/oidc")
async def start(request: Request, signed: MaybeStaff, next: str = "/") -> Response:
    settings = enabled(request)
    target = safe_next(next)
    if signed is not None:
        return redirect(target)
    try:
        response: Response = await provider(runtime_of(request)).authorize_redirect(
            request, f"{settings.portal_url}{CALLBACK_PATH}"
        )
    except httpx.HTTPError as error:
        log.warning("oidc.discovery_failed", error=str(error))
        return await provider_unavailable(request, target)
    request.session[NEXT_KEY] = target
    return response


@router.get(CALLBACK_PATH)
async def callback(request: Request) -> Response:
    settings = enabled(request)
    target = safe_next(request.session.get(NEXT_KEY))
    try:
        token = await provider(runtime_of(request)).authorize_access_token(
            request,
            # The ID token must come from the issuer configured, not merely from whoever
            # the discovery document names.
            claims_options={"iss": {"essential": True, "values": [settings.oidc_issuer]}},
        )
    except httpx.HTTPError as error:
        log.warning("oidc.provider_unreachable", error=str(error))
        return await provider_unavailable(request, target)
    except (OAuthError, JoseError) as error:
        reason = getattr(error, "error", None) or type(error).__name__
        log.warning("oidc.sign_in_failed", reason=reason)
        return await refusal(request, 400, _("Sign-in did not complete"), failure(reason), target)
    claims = token.get("userinfo")
    if not claims:
        # No ID token came back: the provider did not say who signed in.
        return await refusal(
            request, 400, _("Sign-in did not complete"), failure("no_id_token"), target
        )
    try:
        person = person_from(dict(claims), settings.oidc_roles_claim)
    except NotUsable:
        return await refusal(
            request, 400, _("Sign-in did not complete"),
            _("The municipality's account gave no user name the portal can use. "
              "Tell the portal's administrator."),
            target,
        )  # fmt: skip
    if not person.roles:
        log.info("oidc.no_meria_role", username=person.username)
        return await refusal(
            request, 403, _("No access to the portal"),
            _("Your municipality account holds no role in the portal. Ask the department's "
              "administrator to give you one, then sign in again."),
            target,
        )  # fmt: skip
    sign_in_id = language = ""
    async with runtime_of(request).db().transaction() as session:
        account = await keep_account(session, person)
        if account is not None:
            sign_in_id = await accounts.start_session(session, account.username, "oidc")
            language = account.language
    if account is None:
        return await refusal(
            request, 403, _("No access to the portal"),
            _("Your portal account is switched off. Ask the department's administrator."),
            target,
        )  # fmt: skip
    request.session.clear()
    request.session["sign_in"] = sign_in_id
    response = redirect(target)
    if not request.cookies.get(LANGUAGE_COOKIE) and parse_language(language):
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 24 * 3600, samesite="lax",
            secure=settings.secure_cookies, httponly=True,
        )  # fmt: skip
    return response


def failure(reason: str) -> str:
    if reason == "access_denied":
        return _("The municipality's sign-in service did not let you through. "
                 "Sign in again if that was a mistake.")  # fmt: skip
    if reason == "mismatching_state":
        return _("This sign-in was not started here, or it took too long. Start again.")
    return _("The municipality's sign-in service did not confirm who you are. Start again; "
             "if it happens again, tell the portal's administrator.")  # fmt: skip
