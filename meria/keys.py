"""The keys that sign Meria's bearer tokens: one Ed25519 key per issuer, in a published set.

Issuers are who may vouch for whom. `portal` signs the tokens of signed-in people and
`operator` those that `meria token` and `meria seed` make; every other process (the
worker, each service) signs tokens only in its own name. A service trusts a token only as
far as its key's issuer may vouch, so a stolen worker key mints no administrator and the
portal's key mints no worker.

Development derives each issuer's key from MERIA_SECRET_KEY, so a fresh machine needs
nothing configured. Production refuses that: MERIA_TOKEN_KEYSET names the published key set
(a JWKS file of public keys) that every process reads, MERIA_TOKEN_SIGNING_KEY the private
key of the process's own issuer. `meria keys` makes them and rotates them: a key set may
hold several keys of an issuer, each named by the key id (`kid`) its tokens carry.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.algorithms import OKPAlgorithm

from meria.config import Settings
from meria.processes import PROCESSES

# Who signs people's tokens: the portal after sign-in, the operator's command line.
PERSON_ISSUERS = ("portal", "operator")
# Every other process speaks only for itself.
SERVICE_ISSUERS = tuple(name for name in PROCESSES if name not in PERSON_ISSUERS)
ISSUERS = PERSON_ISSUERS + SERVICE_ISSUERS

# A changed key set file is read again at most this often.
RELOAD_SECONDS = 30.0


class KeysError(Exception):
    """The key set or a signing key is missing or malformed; one line for the operator."""


def issuer_of(settings: Settings) -> str:
    """The issuer a process signs as: its own name; the command line is the operator."""
    return settings.process if settings.process in ISSUERS else "operator"


def service_subject(issuer: str) -> str:
    """The subject of a process's own tokens, and the actor it is recorded as."""
    return f"meria-{issuer}"


@dataclass(frozen=True)
class TokenKey:
    kid: str
    issuer: str
    public: Ed25519PublicKey

    def jwk(self) -> dict[str, Any]:
        jwk = OKPAlgorithm.to_jwk(self.public, as_dict=True)
        return {**jwk, "kid": self.kid, "use": "sig", "alg": "EdDSA"}


@dataclass(frozen=True)
class SigningKey:
    kid: str
    issuer: str
    private: Ed25519PrivateKey


def _fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:10]


@lru_cache(maxsize=64)
def _derived(secret: str, issuer: str) -> SigningKey:
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"meria-token-keys", info=issuer.encode()
    ).derive(secret.encode())
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return SigningKey(f"{issuer}.dev.{_fingerprint(private.public_key())}", issuer, private)


def issuer_in_kid(kid: str) -> str:
    issuer = kid.split(".", 1)[0]
    if issuer not in ISSUERS:
        raise KeysError(f"key {kid!r} names no known issuer (issuers: {', '.join(ISSUERS)})")
    return issuer


def new_kid(issuer: str) -> str:
    return f"{issuer}.{datetime.now(UTC):%Y%m%d}.{secrets.token_hex(3)}"


def parse_keyset(text: str, origin: str) -> dict[str, TokenKey]:
    try:
        document = json.loads(text)
        entries = document["keys"]
        keys: dict[str, TokenKey] = {}
        for entry in entries:
            public = OKPAlgorithm.from_jwk({k: v for k, v in entry.items() if k != "d"})
            if isinstance(public, Ed25519PrivateKey):
                public = public.public_key()
            if not isinstance(public, Ed25519PublicKey):
                raise KeysError(f"{origin}: key {entry.get('kid')!r} is not an Ed25519 key")
            kid = str(entry["kid"])
            keys[kid] = TokenKey(kid, issuer_in_kid(kid), public)
    except KeysError:
        raise
    except Exception as error:
        raise KeysError(f"{origin} is not a key set (JWKS of Ed25519 keys): {error}") from None
    return keys


def parse_signing_key(text: str, origin: str) -> SigningKey:
    try:
        entry = json.loads(text)
        private = OKPAlgorithm.from_jwk(entry)
        kid = str(entry["kid"])
    except Exception as error:
        raise KeysError(f"{origin} is not a private key (an Ed25519 JWK): {error}") from None
    if not isinstance(private, Ed25519PrivateKey):
        raise KeysError(f"{origin} holds no Ed25519 private key")
    return SigningKey(kid, issuer_in_kid(kid), private)


class _FileCache:
    """A file read once and again when it changes (looked at every RELOAD_SECONDS)."""

    def __init__(self) -> None:
        self.entries: dict[Path, tuple[float, int, Any]] = {}

    def get(self, path: Path, parse: Any) -> Any:
        now = time.monotonic()
        entry = self.entries.get(path)
        if entry is not None and now - entry[0] < RELOAD_SECONDS:
            return entry[2]
        try:
            mtime = path.stat().st_mtime_ns
        except OSError as error:
            raise KeysError(f"cannot read {path}: {error.strerror}") from None
        if entry is not None and entry[1] == mtime:
            self.entries[path] = (now, mtime, entry[2])
            return entry[2]
        value = parse(path.read_text(encoding="utf-8"), str(path))
        self.entries[path] = (now, mtime, value)
        return value


_files = _FileCache()


def trusted_keys(settings: Settings) -> dict[str, TokenKey]:
    """Every key whose tokens this process accepts, by key id."""
    if settings.token_keyset is not None:
        keys: dict[str, TokenKey] = _files.get(settings.token_keyset, parse_keyset)
        return keys
    secret = settings.secret_key.get_secret_value()
    derived = (_derived(secret, issuer) for issuer in ISSUERS)
    return {key.kid: TokenKey(key.kid, key.issuer, key.private.public_key()) for key in derived}


def signing_key(settings: Settings) -> SigningKey:
    """The private key this process signs its tokens with."""
    issuer = issuer_of(settings)
    if settings.token_signing_key is None:
        if settings.token_keyset is not None:
            raise KeysError("MERIA_TOKEN_SIGNING_KEY is not set: this process cannot sign tokens")
        return _derived(settings.secret_key.get_secret_value(), issuer)
    key: SigningKey = _files.get(settings.token_signing_key, parse_signing_key)
    if key.issuer != issuer:
        raise KeysError(
            f"MERIA_TOKEN_SIGNING_KEY holds a key of {key.issuer!r}, not of this process "
            f"({issuer!r})"
        )
    return key


def published_keyset(settings: Settings) -> dict[str, Any]:
    """The public key set as JWKS, for whoever verifies Meria's tokens."""
    return {"keys": [key.jwk() for key in trusted_keys(settings).values()]}


# Making and rotating keys (`meria keys`).


def write_private(path: Path, key: SigningKey) -> None:
    jwk = OKPAlgorithm.to_jwk(key.private, as_dict=True)
    text = json.dumps({**jwk, "kid": key.kid, "use": "sig", "alg": "EdDSA"}, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")


def write_keyset(path: Path, keys: dict[str, TokenKey]) -> None:
    text = json.dumps({"keys": [key.jwk() for key in keys.values()]}, indent=2)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")


def keyset_path(folder: Path) -> Path:
    return folder / "jwks.json"


def private_path(folder: Path, issuer: str) -> Path:
    return folder / f"{issuer}.key.json"


def generate(folder: Path, issuers: tuple[str, ...] = ISSUERS) -> list[str]:
    """A new key for each issuer: the private key in `<issuer>.key.json` (mode 0600), the
    public one added to `jwks.json` beside the keys already there. Returns the new kids."""
    path = keyset_path(folder)
    keys = parse_keyset(path.read_text(encoding="utf-8"), str(path)) if path.exists() else {}
    made = []
    for issuer in issuers:
        private = Ed25519PrivateKey.generate()
        key = SigningKey(new_kid(issuer), issuer, private)
        write_private(private_path(folder, issuer), key)
        keys[key.kid] = TokenKey(key.kid, issuer, private.public_key())
        made.append(key.kid)
    write_keyset(path, keys)
    return made


def retire(folder: Path, kid: str) -> None:
    """Take a key out of the published set: tokens it signed are refused from then on."""
    path = keyset_path(folder)
    keys = parse_keyset(path.read_text(encoding="utf-8"), str(path))
    if kid not in keys:
        raise KeysError(f"no key {kid!r} in {path}")
    issuer = keys[kid].issuer
    current = private_path(folder, issuer)
    if current.exists() and parse_signing_key(current.read_text(), str(current)).kid == kid:
        raise KeysError(f"{kid} is {issuer}'s signing key still; rotate it first")
    del keys[kid]
    write_keyset(path, keys)
