"""Sign-in attempts: guessing is slowed, and nobody can keep a person out.

Failed sign-ins are counted under three rules (limits in settings, windows that grow):

- the pair of an account and where the attempt comes from: the browser, when it holds a
  cookie saying it signed in to that account before, or else the address;
- the account, from addresses it has not signed in from: a guesser who moves between
  many addresses is held here;
- the address, whatever the account: one address trying many accounts.

A browser that signed in to the account before answers to its own pair only, and an
attempt from the address of the account's last sign-in skips the account rule: an
attacker's failures elsewhere, however many, never hold the person at their own desk.
The right password forgives its pair; the other counts run their windows out. An
attempt reaches the password only when every rule lets it; one held back (429) is
neither tried nor counted.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from fastapi import Request
from fastapi.responses import Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from meria.throttle import Rule, Throttle, client_address
from services.portal.models import Account
from services.portal.settings import PortalSettings

DEVICE_COOKIE = "meria_device"
# The accounts one browser remembers (a shared office computer: a few people).
DEVICE_ACCOUNTS = 10


@dataclass(frozen=True)
class Device:
    """What a browser's signed cookie says: its own random id and the accounts it signed
    in to."""

    nonce: str
    usernames: tuple[str, ...]


@dataclass(frozen=True)
class Attempt:
    username: str
    address: str
    device: Device | None

    @property
    def known_browser(self) -> bool:
        return self.device is not None and self.username in self.device.usernames


class SignInThrottle:
    """The three rules of a portal, counted in its database."""

    def __init__(self, throttle: Throttle, settings: PortalSettings) -> None:
        self.throttle = throttle
        self.settings = settings
        self.pair = Rule.of("sign-in-pair", settings.sign_in_pair_limits)
        self.account = Rule.of("sign-in-account", settings.sign_in_account_limits)
        self.address = Rule.of("sign-in-address", settings.sign_in_address_limits)

    def attempt(self, request: Request, username: str) -> Attempt:
        return Attempt(
            username=username,
            address=client_address(request, self.settings.trusted_proxies),
            device=read_device(request, self.settings),
        )

    def _pair(self, attempt: Attempt) -> str:
        if attempt.known_browser:
            assert attempt.device is not None
            return f"{attempt.username} device:{attempt.device.nonce}"
        return f"{attempt.username} address:{attempt.address}"

    def rules(self, attempt: Attempt, account: Account | None) -> list[tuple[Rule, str]]:
        """The rules this attempt answers to, each with the identity it counts for."""
        checks = [(self.pair, self._pair(attempt))]
        if attempt.known_browser:
            return checks
        checks.append((self.address, attempt.address))
        if account is None or account.last_sign_in_address != attempt.address:
            checks.append((self.account, attempt.username))
        return checks

    async def wait(self, attempt: Attempt, account: Account | None) -> int:
        """Seconds before this attempt may be tried; 0 when now."""
        return await self.throttle.wait(self.rules(attempt, account))

    async def failed(self, attempt: Attempt, account: Account | None) -> None:
        await self.throttle.count(self.rules(attempt, account))

    async def succeeded(self, attempt: Attempt) -> None:
        await self.throttle.forget(self.pair, self._pair(attempt))


def _serializer(settings: PortalSettings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key.get_secret_value(), salt="meria-device")


def read_device(request: Request, settings: PortalSettings) -> Device | None:
    value = request.cookies.get(DEVICE_COOKIE)
    if not value:
        return None
    try:
        found = _serializer(settings).loads(value, max_age=settings.device_days * 24 * 3600)
        nonce, usernames = found["n"], found["u"]
    except (BadSignature, KeyError, TypeError):
        return None
    if not isinstance(nonce, str) or not isinstance(usernames, list):
        return None
    return Device(nonce, tuple(name for name in usernames if isinstance(name, str)))


def remember_device(response: Response, attempt: Attempt, settings: PortalSettings) -> None:
    """After the right password: this browser is known to this account from now on."""
    device = attempt.device
    nonce = device.nonce if device else secrets.token_urlsafe(16)
    earlier = [name for name in (device.usernames if device else ()) if name != attempt.username]
    usernames = [attempt.username, *earlier][:DEVICE_ACCOUNTS]
    response.set_cookie(
        DEVICE_COOKIE,
        _serializer(settings).dumps({"n": nonce, "u": usernames}),
        max_age=settings.device_days * 24 * 3600,
        path="/sign-in",
        httponly=True,
        secure=settings.secure_cookies,
        samesite="lax",
    )
