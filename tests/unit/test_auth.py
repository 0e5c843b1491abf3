"""Bearer tokens: who and which roles, signed by an issuer that may vouch for them,
expiring, short-lived, refused when tampered with."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from meria import keys
from meria.auth import InvalidToken, User, issue_token, service_identity, verify_token
from meria.config import Settings, SettingsError, load_settings
from services.portal.settings import PortalSettings
from workflows.settings import WorkerSettings

SECRET = "a-test-secret-that-is-long-enough-for-the-derivation"


@pytest.fixture
def settings() -> Settings:
    return Settings(secret_key=SECRET)


def forge(issuer: str, claims: dict[str, object], secret: str = SECRET) -> str:
    """A token signed with `issuer`'s own (development) key: what someone holding that
    key could make."""
    key = keys._derived(secret, issuer)
    now = int(time.time())
    full = {"iss": issuer, "aud": "meria", "iat": now, "exp": now + 60, **claims}
    return jwt.encode(full, key.private, algorithm="EdDSA", headers={"kid": key.kid})


def test_a_token_carries_the_user_and_roles(settings: Settings) -> None:
    user = User(id="tamar.kapanadze", name="თამარ კაპანაძე", roles=frozenset({"legal_reviewer"}))
    token = issue_token(settings, user)
    assert jwt.get_unverified_header(token)["alg"] == "EdDSA"
    assert jwt.get_unverified_header(token)["kid"].startswith("operator.")
    assert verify_token(settings, token) == user


def test_the_portal_signs_peoples_tokens_and_the_worker_only_its_own() -> None:
    portal = PortalSettings(secret_key=SECRET)
    worker = WorkerSettings(secret_key=SECRET)
    mayor = User(id="demo.mayor", roles=frozenset({"mayor"}))
    assert verify_token(portal, issue_token(portal, mayor)) == mayor
    with pytest.raises(ValueError, match="only for itself"):
        issue_token(worker, mayor)
    with pytest.raises(ValueError, match="cannot speak for the process"):
        issue_token(portal, service_identity("worker"))
    assert verify_token(portal, issue_token(worker, service_identity("worker"))).service == "worker"


def test_a_key_vouches_only_for_what_its_issuer_may(settings: Settings) -> None:
    # The portal's key cannot make a worker, nor the worker's key an administrator.
    with pytest.raises(InvalidToken, match="cannot name a Meria process"):
        verify_token(settings, forge("portal", {"sub": "meria-worker", "roles": []}))
    with pytest.raises(InvalidToken, match="speaks only for itself"):
        verify_token(settings, forge("worker", {"sub": "demo.mayor", "roles": ["admin"]}))
    with pytest.raises(InvalidToken, match="speaks only for itself"):
        verify_token(settings, forge("worker", {"sub": "meria-worker", "roles": ["admin"]}))
    with pytest.raises(InvalidToken, match="speaks only for itself"):
        verify_token(settings, forge("publishing", {"sub": "meria-worker"}))
    # A token whose `iss` names another issuer than its key's is not valid either.
    mixed = forge("portal", {"sub": "meria-worker", "iss": "worker"})
    with pytest.raises(InvalidToken, match="not valid"):
        verify_token(settings, mixed)


def test_no_person_holds_a_process_role(settings: Settings) -> None:
    with pytest.raises(InvalidToken, match="system"):
        verify_token(settings, forge("portal", {"sub": "nino", "roles": ["system"]}))


def test_an_expired_token_is_refused(settings: Settings) -> None:
    token = issue_token(settings, User(id="giorgi", roles=frozenset({"editor"})), ttl_seconds=-60)
    with pytest.raises(InvalidToken, match="expired"):
        verify_token(settings, token)


def test_no_token_lives_longer_than_the_maximum(settings: Settings) -> None:
    with pytest.raises(ValueError, match="at most"):
        issue_token(settings, User(id="giorgi"), ttl_seconds=settings.token_max_ttl_seconds + 1)
    now = int(time.time())
    forever = forge("operator", {"sub": "giorgi", "roles": ["admin"], "exp": now + 10**8})
    with pytest.raises(InvalidToken, match="longer than"):
        verify_token(settings, forever)


def test_a_token_signed_with_another_secret_is_refused(settings: Settings) -> None:
    other = Settings(secret_key="another-secret-another-secret-another")
    token = issue_token(other, User(id="giorgi", roles=frozenset({"mayor"})))
    with pytest.raises(InvalidToken, match="does not know"):
        verify_token(settings, token)


def test_the_old_shared_secret_tokens_and_unsigned_ones_are_refused(settings: Settings) -> None:
    claims = {"iss": "meria", "aud": "meria", "sub": "x", "roles": ["admin"], "exp": 2**40}
    hs256 = jwt.encode(claims, SECRET, algorithm="HS256")
    unsigned = jwt.encode(claims, "", algorithm="none", headers={"kid": "operator.dev.x"})
    for token in (hs256, unsigned, "not-a-token"):
        with pytest.raises(InvalidToken):
            verify_token(settings, token)


def test_unknown_roles_are_refused(settings: Settings) -> None:
    with pytest.raises(InvalidToken, match="overlord"):
        verify_token(settings, forge("operator", {"sub": "x", "roles": ["overlord"]}))


def test_keys_from_files_rotate_and_retire(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    keys.generate(folder)
    assert (keys.private_path(folder, "portal").stat().st_mode & 0o777) == 0o600
    common = {"secret_key": SECRET, "token_keyset": keys.keyset_path(folder)}
    portal = PortalSettings(**common, token_signing_key=keys.private_path(folder, "portal"))  # type: ignore[arg-type]
    verifier = Settings(**common)  # type: ignore[arg-type]
    user = User(id="ana", roles=frozenset({"editor"}))
    old = issue_token(portal, user)
    assert verify_token(verifier, old) == user
    old_kid = jwt.get_unverified_header(old)["kid"]
    # The development keys mean nothing once a key set is configured.
    with pytest.raises(InvalidToken, match="does not know"):
        verify_token(verifier, issue_token(Settings(secret_key=SECRET), user))
    # A new portal key: both verify until the old one is retired.
    with pytest.raises(keys.KeysError, match="rotate it first"):
        keys.retire(folder, old_kid)
    keys.generate(folder, ("portal",))
    keys._files.entries.clear()
    new = issue_token(portal, user)
    assert jwt.get_unverified_header(new)["kid"] != old_kid
    assert verify_token(verifier, old) == verify_token(verifier, new) == user
    keys.retire(folder, old_kid)
    keys._files.entries.clear()
    with pytest.raises(InvalidToken, match="does not know"):
        verify_token(verifier, old)
    # A process given another issuer's key refuses to sign with it.
    wrong = WorkerSettings(**common, token_signing_key=keys.private_path(folder, "portal"))  # type: ignore[arg-type]
    with pytest.raises(keys.KeysError, match="not of this process"):
        issue_token(wrong, service_identity("worker"))


def test_production_wants_a_key_set_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MERIA_ENVIRONMENT", "production")
    monkeypatch.setenv("MERIA_SECRET_KEY", "x" * 40)
    with pytest.raises(SettingsError, match="MERIA_TOKEN_KEYSET"):
        load_settings(Settings)
