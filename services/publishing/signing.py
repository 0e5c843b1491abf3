"""Authenticity of what was published: a canonical rendering, its SHA-256, and a signature.

The canonical rendering of an edition is its text and register data plus each
attachment's SHA-256, as JSON with sorted keys, no insignificant whitespace, UTF-8. Its
SHA-256 goes into the publication record (hash, number, issuer, dates), which the
municipality signs with its Ed25519 key. With the public key anyone can check, offline,
that a copy of an act is the one the municipality published.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from meria.logging import get_logger
from services.publishing.settings import PublishingSettings

log = get_logger(__name__)


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def load_signing_key(settings: PublishingSettings) -> Ed25519PrivateKey:
    """The key from settings; in development, one made once and kept under var/."""
    if settings.signing_key is not None:
        pem = settings.signing_key.get_secret_value().encode()
    else:
        path: Path = settings.signing_key_file
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            generated = Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            path.write_bytes(generated)
            path.chmod(0o600)
            log.warning("publishing.signing_key_generated", path=str(path))
        pem = path.read_bytes()
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("the publishing signing key must be an Ed25519 key")
    return key


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(key: Ed25519PrivateKey, record: dict[str, Any]) -> str:
    return base64.b64encode(key.sign(canonical_json(record))).decode()


def verify(public_pem: str, record: dict[str, Any], signature: str) -> bool:
    """True when `signature` is the municipality's over exactly this record."""
    from cryptography.exceptions import InvalidSignature

    key = serialization.load_pem_public_key(public_pem.encode())
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature), canonical_json(record))
    except (InvalidSignature, ValueError):
        return False
    return True
