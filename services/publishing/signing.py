"""Authenticity of what was published: a canonical rendering, its SHA-256, and a signature.

The canonical rendering of an edition is its text and register data plus each
attachment's SHA-256, as JSON with sorted keys, no insignificant whitespace, UTF-8. Its
SHA-256 goes into the publication record (hash, number, issuer, dates), which the
municipality signs with its Ed25519 key. With the public key anyone can check, offline,
that a copy of an act is the one the municipality published.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from meria.logging import get_logger
from meria.signatures import canonical_json, public_key_pem, sha256_hex, sign, verify
from services.publishing.settings import PublishingSettings

log = get_logger(__name__)


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


__all__ = ["canonical_json", "load_signing_key", "public_key_pem", "sha256_hex", "sign", "verify"]
