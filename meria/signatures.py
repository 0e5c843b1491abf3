"""Signed records: canonical JSON, SHA-256, and Ed25519 signatures over them.

The publishing service signs each publication record with the municipality's key; the
website (and anyone with the public key) checks it. Canonical JSON: sorted keys, no
insignificant whitespace, UTF-8 (Georgian as itself, not escaped).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def public_key_pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def sign(key: Ed25519PrivateKey, record: dict[str, Any]) -> str:
    return base64.b64encode(key.sign(canonical_json(record))).decode()


def verify(public_pem: str, record: dict[str, Any], signature: str) -> bool:
    """True when `signature` is the key holder's over exactly this record."""
    try:
        key = serialization.load_pem_public_key(public_pem.encode())
    except ValueError:
        return False
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(base64.b64decode(signature), canonical_json(record))
    except (InvalidSignature, ValueError):
        return False
    return True


def edition_content(
    *,
    document_id: int,
    edition: int,
    document_type: str,
    issuer: str | None,
    register_number: str | None,
    date_signed: str | None,
    external_registration_code: str | None,
    title: tuple[str | None, str | None],
    summary: tuple[str | None, str | None],
    body: tuple[str | None, str | None],
    translation_pending: bool,
    change_note: str | None,
    attachments: list[dict[str, Any]],
) -> dict[str, Any]:
    """The canonical content of a published edition that its SHA-256 is taken over.

    Publishing builds it from its records, the website from the events; both must agree
    to the byte, so it is written once, here. Pairs are (Georgian, English).
    """
    return {
        "document_id": document_id,
        "edition": edition,
        "document_type": document_type,
        "issuer": issuer,
        "register_number": register_number,
        "date_signed": date_signed,
        "external_registration_code": external_registration_code,
        "title": {"ka": title[0], "en": title[1]},
        "summary": {"ka": summary[0], "en": summary[1]},
        "body": {"ka": body[0], "en": body[1]},
        "translation_pending": translation_pending,
        "change_note": change_note,
        "attachments": [
            {key: item[key] for key in ("filename", "media_type", "size", "sha256")}
            for item in attachments
        ],
    }
