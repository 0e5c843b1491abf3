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

import base64
import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import SecretStr

from meria import keys
from meria.config import BusCredentials
from meria.processes import PROCESSES, bus_users

READABLE = 0o444
# What stays with the operator, never in the cluster: the key that signs an operator's
# tokens (an administrator's, at the first start), and the PostgreSQL superuser's
# password, which CloudNativePG keeps to itself (superuser access is off).
OPERATORS_OWN = frozenset({"operator.key.json", "postgres_password", "postgres_superuser_url"})


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


def kubernetes_secrets(folder: Path, *, namespace: str = "meria") -> dict[str, Any]:
    """The Secrets of deploy/kubernetes/ made from the secrets `generate` wrote to
    `folder`, as one `List` that `kubectl apply -f -` takes:

    - `meria`: every file but the operator's own, each process's pod mounting only its
      own (as compose hands them out on one server), and Temporal's databases' URLs for
      the backup job;
    - `meria-postgres-<service>` (and `meria-postgres-temporal`): each PostgreSQL role's
      name and password, which CloudNativePG sets on the role: the password in the
      service's database URL, so the two never differ;
    - `nats-authorization`: the NATS servers' users, bcrypt hashes of the passwords and
      the permissions made from the code (what `meria nats authorization` prints).

    The Temporal server's database password is made here once, beside the others."""
    from sqlalchemy.engine import make_url

    from meria.bus import authorization

    def read(path: Path) -> str:
        return path.read_text(encoding="utf-8").removesuffix("\n")

    temporal_password = folder / "temporal_database_password"
    if not temporal_password.exists():
        descriptor = os.open(temporal_password, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(_password() + "\n")
        temporal_password.chmod(READABLE)

    paths = [path for path in sorted(folder.iterdir()) if path.is_file()]
    if (folder / "keys").is_dir():
        paths += [path for path in sorted((folder / "keys").iterdir()) if path.is_file()]
    files = {path.name: read(path) for path in paths if path.name not in OPERATORS_OWN}
    # What the backup job takes of Temporal: its two databases, as the role `temporal`.
    host = make_url(files[f"{databases()[0]}_database_url"]).host
    files["backup_temporal_database_urls"] = json.dumps(
        [
            f"postgresql://temporal:{files['temporal_database_password']}@{host}:5432/{name}"
            for name in ("temporal", "temporal_visibility")
        ]
    )

    def secret(name: str, data: dict[str, str], kind: str = "Opaque") -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "labels": {"app.kubernetes.io/part-of": "meria"},
            },
            "type": kind,
            "data": {key: base64.b64encode(value.encode()).decode() for key, value in data.items()},
        }

    items = [secret("meria", files)]
    for name in databases():
        url = make_url(files[f"{name}_database_url"])
        items.append(
            secret(
                f"meria-postgres-{name}",
                {"username": str(url.username), "password": str(url.password)},
                "kubernetes.io/basic-auth",
            )
        )
    items.append(
        secret(
            "meria-postgres-temporal",
            {"username": "temporal", "password": files["temporal_database_password"]},
            "kubernetes.io/basic-auth",
        )
    )
    users = [
        (user, BusCredentials(user.name, SecretStr(files[f"nats_{user.name}_password"])))
        for user in bus_users()
    ]
    items.append(secret("nats-authorization", {"authorization.conf": authorization(users)}))
    return {"apiVersion": "v1", "kind": "List", "items": items}
