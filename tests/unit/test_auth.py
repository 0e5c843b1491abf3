"""Bearer tokens: who and which roles, signed, expiring, refused when tampered with."""

from __future__ import annotations

import jwt
import pytest

from meria.auth import InvalidToken, User, issue_token, verify_token
from meria.config import Settings


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key="a-test-secret-that-is-long-enough-for-hs256")  # type: ignore[arg-type]


def test_a_token_carries_the_user_and_roles(settings: Settings) -> None:
    user = User(id="tamar.kapanadze", name="თამარ კაპანაძე", roles=frozenset({"legal_reviewer"}))
    assert verify_token(settings, issue_token(settings, user)) == user


def test_an_expired_token_is_refused(settings: Settings) -> None:
    token = issue_token(settings, User(id="giorgi", roles=frozenset({"editor"})), ttl_seconds=-1)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(settings, token)


def test_a_token_signed_with_another_secret_is_refused(settings: Settings) -> None:
    other = Settings(secret_key="another-secret-another-secret-another")  # type: ignore[arg-type]
    token = issue_token(other, User(id="giorgi", roles=frozenset({"mayor"})))
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(settings, token)


def test_unknown_roles_are_refused(settings: Settings) -> None:
    forged = jwt.encode(
        {"iss": "meria", "aud": "meria", "sub": "x", "roles": ["overlord"], "exp": 2**40},
        settings.secret_key.get_secret_value(),
        algorithm="HS256",
    )
    with pytest.raises(InvalidToken, match="overlord"):
        verify_token(settings, forged)
