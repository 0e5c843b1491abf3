"""The secrets of an installation on one server (deploy/single-server/), made once.

One file per secret, as compose hands them to the containers (`/run/secrets/<name>`):
MERIA_SECRET_KEY, the token keys of every issuer and their published set, publishing's
signing key, a NATS password per user, a PostgreSQL role and password per service (in
its database URL), the superuser's password, and the metrics token. A file already there
is kept, so running it again after an upgrade adds only what the new version needs.

The files are readable by anyone who reaches them (a container reads its secrets as the
image's own user), so they live in a directory only its owner may enter (0700).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from meria import keys
from meria.processes import PROCESSES, bus_users

READABLE = 0o444


def _password() -> str:
    return secrets.token_urlsafe(32)


def _signing_key_pem() -> str:
    return (
        Ed25519PrivateKey.generate()
        .private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        .decode()
    )


def databases() -> list[str]:
    """The processes that keep a database of their own."""
    return [name for name, spec in PROCESSES.items() if spec.parts().metadata is not None]


def generate(folder: Path, *, postgres_host: str = "postgres") -> list[str]:
    """Make every secret the single-server stack needs that `folder` does not hold yet;
    returns the names of those made."""
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    made: list[str] = []

    def keep(name: str, make: Callable[[], str]) -> str:
        path = folder / name
        if not path.exists():
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(make() + "\n")
            made.append(name)
        path.chmod(READABLE)
        return path.read_text(encoding="utf-8").strip()

    keep("secret_key", lambda: secrets.token_urlsafe(48))
    keep("metrics_token", lambda: secrets.token_urlsafe(32))
    keep("publishing_signing_key", _signing_key_pem)
    for user in bus_users():
        keep(f"nats_{user.name}_password", _password)
    superuser = keep("postgres_password", _password)
    keep(
        "postgres_superuser_url",
        lambda: f"postgresql://postgres:{superuser}@{postgres_host}:5432/postgres",
    )
    for name in databases():
        keep(
            f"{name}_database_url",
            lambda name=name: (  # type: ignore[misc]
                f"postgresql+asyncpg://meria_{name}:{_password()}@{postgres_host}:5432/meria_{name}"
            ),
        )
    key_folder = folder / "keys"
    missing = [
        issuer for issuer in keys.ISSUERS if not keys.private_path(key_folder, issuer).exists()
    ]
    if missing:
        made += keys.generate(key_folder, tuple(missing))
    key_folder.chmod(0o700)
    for path in key_folder.iterdir():
        path.chmod(READABLE)
    return made
