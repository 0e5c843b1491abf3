"""The signed original of a legal act: the PDF/A its signer signed (PAdES), the act as
published.

When the mayor approves the signature step, the publication workflow asks for the
edition's signed original: the act is rendered in the municipality's layout with its
number and date, signed with the certificate of the official who approved the step, dated
by a timestamp server when one is set, checked against the trust roots, and kept as the
edition's attachment marked with its signer. From then on it is published with the edition
(its SHA-256 in the signed publication record too), and a withdrawal before publication
discards it: what is approved again is signed again.

Who signs with what (`Officials`): in production, the keys MERIA_PUBLISHING_SIGNERS names;
in development, a certificate of the local test CA (`meria init`), made for an official on
first need. The rendering, the signing and the check run in a thread, a few at a time
(`SigningQueue`): fifty acts signed in one minute are signed one after another, each once,
while the service goes on answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from meria import municipality, pades
from meria.db import Database
from meria.keys import service_subject
from meria.problems import Problem
from services.publishing import act_pdf
from services.publishing import attachments as files
from services.publishing.acts import is_legal_act
from services.publishing.documents import edition_of, load, now
from services.publishing.models import Attachment, AuditEntry, Document, Edition
from services.publishing.settings import PublishingSettings, SignerKey
from services.publishing.states import State

SIGNATURE_STEP = "signature"
PDF = "application/pdf"
SIGNABLE = (State.APPROVED.value, State.SCHEDULED.value)


# Who signs with what.


@dataclass(frozen=True)
class Pkcs12Source:
    path: Path
    password_file: Path | None
    production: bool

    @contextlib.contextmanager
    def open(self) -> Iterator[Any]:
        password = None
        if self.password_file is not None:
            password = self.password_file.read_bytes().rstrip(b"\r\n")
        yield pades.load_pkcs12_signer(self.path.read_bytes(), password, production=self.production)


@dataclass(frozen=True)
class Pkcs11Source:
    key: SignerKey
    production: bool

    @contextlib.contextmanager
    def open(self) -> Iterator[Any]:
        """pyHanko's signer on the official's token (a smart card, an HSM): the key never
        leaves it. A token that cannot be opened, a wrong PIN or a missing key or
        certificate is a SigningError; production refuses a development certificate."""
        # pyHanko's PKCS#11 signer needs the python-pkcs11 package (`pyhanko[pkcs11]`).
        from pkcs11 import PKCS11Error
        from pyhanko.config.pkcs11 import TokenCriteria
        from pyhanko.sign import pkcs11

        pin = self.key.pkcs11_pin_file.read_text().strip() if self.key.pkcs11_pin_file else None
        try:
            session = pkcs11.open_pkcs11_session(
                str(self.key.pkcs11_module),
                token_criteria=TokenCriteria(label=self.key.pkcs11_token_label),
                user_pin=pin,
            )
        except (PKCS11Error, RuntimeError, OSError) as error:
            raise pades.SigningError(
                f"cannot open the token {self.key.pkcs11_token_label!r}: "
                f"{type(error).__name__} {error}".strip()
            ) from None
        try:
            # Every certificate on the token travels with the signature (a card carries
            # its issuer's), and those of `pkcs11_chain` beside them.
            signer = pkcs11.PKCS11Signer(
                session,
                key_label=self.key.pkcs11_key_label,
                cert_label=self.key.pkcs11_cert_label or self.key.pkcs11_key_label,
                other_certs_to_pull=None,
                ca_chain=self._chain(),
            )
            try:
                certificate = x509.load_der_x509_certificate(signer.signing_cert.dump())
            except (PKCS11Error, RuntimeError) as error:
                raise pades.SigningError(
                    f"no certificate {signer.cert_label!r} on the token: "
                    f"{type(error).__name__} {error}".strip()
                ) from None
            if self.production and pades.is_development(certificate):
                raise pades.SigningError(
                    "the certificate is the development test CA's; production signs with "
                    "the official's own certificate"
                )
            yield signer
        finally:
            session.close()

    def _chain(self) -> list[Any] | None:
        if self.key.pkcs11_chain is None:
            return None
        from asn1crypto import x509 as asn1_x509  # type: ignore[import-untyped]

        return [
            asn1_x509.Certificate.load(c.public_bytes(serialization.Encoding.DER))
            for c in pades.certificates_in(self.key.pkcs11_chain.read_bytes())
        ]


Source = Pkcs12Source | Pkcs11Source


class Officials:
    """The officials who sign legal acts, each with their key."""

    def __init__(self, settings: PublishingSettings) -> None:
        self.settings = settings
        assert settings.signing_ca_dir is not None

    @functools.cached_property
    def development_ca(self) -> pades.DevelopmentCA:
        """Named after the municipality, so made once the process knows it."""
        assert self.settings.signing_ca_dir is not None
        return pades.DevelopmentCA(
            self.settings.signing_ca_dir, municipality.current().city_hall("en")
        )

    def refusal(self, user_id: str) -> str | None:
        """Why `user_id` cannot sign an act here, or None when they can."""
        if user_id in self.settings.signers or not self.settings.production:
            return None
        return (
            f"No signing certificate is set for {user_id} (MERIA_PUBLISHING_SIGNERS), so the "
            "act cannot be signed; an administrator sets it first."
        )

    def source(self, user_id: str, name: str) -> Source:
        """Where `user_id`'s key is; in development, made on first need. Blocking."""
        key = self.settings.signers.get(user_id)
        if key is not None and key.pkcs12 is not None:
            return Pkcs12Source(key.pkcs12, key.pkcs12_password_file, self.settings.production)
        if key is not None:
            return Pkcs11Source(key, self.settings.production)
        refusal = self.refusal(user_id)
        if refusal is not None:
            # Server-side trouble: the workflow retries until an administrator sets it.
            raise Problem(503, "No signing certificate", refusal)
        path = self.development_ca.signer(user_id, name)
        return Pkcs12Source(path, None, production=False)

    def trust_roots_pem(self) -> str:
        """The roots the signers' chains end in (PEM), which anyone validates acts with.
        Blocking."""
        if self.settings.signing_trust_roots is not None:
            return self.settings.signing_trust_roots.read_text(encoding="ascii")
        if self.settings.production:
            return ""
        return self.development_ca.trust_roots_pem()

    def check(self) -> None:
        """At start: every configured key opens (a PKCS#12 file, or the token with its key
        and certificate), and production holds none of the development CA's. Raises
        SigningError naming the official."""
        for user_id, key in self.settings.signers.items():
            source: Source = (
                Pkcs12Source(key.pkcs12, key.pkcs12_password_file, self.settings.production)
                if key.pkcs12 is not None
                else Pkcs11Source(key, self.settings.production)
            )
            try:
                with source.open():
                    pass
            except (OSError, pades.SigningError) as error:
                raise pades.SigningError(
                    f"MERIA_PUBLISHING_SIGNERS: the key of {user_id}: {error}"
                ) from None


# Making the signed original.


@dataclass(frozen=True)
class Made:
    pdf: bytes
    check: pades.PdfCheck


def layout_of(settings: PublishingSettings) -> act_pdf.Layout:
    return act_pdf.Layout(
        municipality_ka=municipality.current().city_hall("ka"),
        municipality_en=municipality.current().city_hall("en"),
        place_ka=municipality.current().name("ka"),
        coat_of_arms=settings.coat_of_arms,
        fonts=settings.act_fonts,
    )


def make_signed(
    officials: Officials, signer_id: str, sheet: act_pdf.ActSheet, settings: PublishingSettings
) -> Made:
    """Render, sign and check the act (blocking: CPU and, with a timestamp server, a call)."""
    source = officials.source(signer_id, sheet.signer_name)
    signing = pades.Signing(
        reason=f"{act_pdf.TYPES.get(sheet.document_type, ('',))[0]} "
        f"№ {sheet.register_number or ''}".strip(),
        location=municipality.current().name("ka"),
        timestamp_url=settings.timestamp_url,
        timestamp_timeout=settings.timestamp_timeout_seconds,
    )
    try:
        with source.open() as signer:
            sheet = replace(sheet, signer_name=pades.signer_name(signer))
            pdf = act_pdf.render(sheet, layout_of(settings))
            signed = pades.sign_pdf(pdf, signer, signing)
    except (OSError, pades.SigningError) as error:
        raise Problem(503, "Cannot sign", f"The act cannot be signed: {error}") from None
    except Exception as error:  # pyHanko's and the timestamp server's many kinds
        raise Problem(503, "Cannot sign", f"The act cannot be signed: {error}") from None
    # What is published must validate: a chain that ends nowhere trusted stops here.
    check = pades.check_pdf(signed, [officials.trust_roots_pem()])
    if not check.sound:
        summary = "; ".join(item.summary for item in check.signatures) or check.unreadable
        raise Problem(503, "Signature does not validate", f"The signed act fails: {summary}")
    return Made(signed, check)


async def signer_of(session: Any, document: Document, edition: Edition) -> str | None:
    """Who approved the signature step of this edition, latest first."""
    found: str | None = await session.scalar(
        select(AuditEntry.actor)
        .where(
            AuditEntry.document_id == document.id,
            AuditEntry.edition_number == edition.number,
            AuditEntry.action == "approve_step",
            AuditEntry.step == SIGNATURE_STEP,
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    )
    return found


def signed_original(edition: Edition) -> Attachment | None:
    return next((a for a in edition.attachments if a.is_signed_original), None)


def filename_of(document: Document) -> str:
    number = (document.register_number or str(document.id)).replace("/", "-")
    return f"{document.document_type}-{number}-signed.pdf"


def _sheet(document: Document, edition: Edition, signer_name: str) -> act_pdf.ActSheet:
    return act_pdf.ActSheet(
        document_type=document.document_type,
        register_number=document.register_number,
        date_signed=edition.date_signed,
        issuer_ka=document.issuer.name_ka if document.issuer else None,
        title_ka=edition.title_ka,
        title_en=edition.title_en,
        body_html_ka=edition.body_ka,
        signer_name=signer_name,
    )


class SigningQueue:
    """Signings of this service: at most `concurrency` at a time, and one per edition.

    Rendering and signing are CPU work (about half a second an act here), so many at once
    would only slow each other and the service's other answers. An edition's signing runs
    once: a second request for it (the worker asking again after its own timeout) waits
    for the first, and a request that goes away leaves the signing to finish and be kept.
    """

    def __init__(self, concurrency: int) -> None:
        self._slots = asyncio.Semaphore(concurrency)
        self._running: dict[tuple[int, int], asyncio.Task[Attachment]] = {}

    @property
    def waiting(self) -> int:
        return len(self._running)

    async def once(
        self, edition: tuple[int, int], sign: Callable[[], Awaitable[Attachment]]
    ) -> Attachment:
        task = self._running.get(edition)
        if task is None:
            task = asyncio.create_task(self._in_turn(sign))
            self._running[edition] = task
            task.add_done_callback(lambda _: self._running.pop(edition, None))
        return await asyncio.shield(task)

    async def _in_turn(self, sign: Callable[[], Awaitable[Attachment]]) -> Attachment:
        async with self._slots:
            return await sign()


async def sign_edition(
    database: Database,
    settings: PublishingSettings,
    officials: Officials,
    queue: SigningQueue,
    document_id: int,
    number: int,
    idempotency_key: str | None,
) -> Attachment:
    """Make and keep the approved edition's signed original, once."""
    async with database.session() as session:
        document = await load(session, document_id)
        edition = edition_of(document, number)
        _require_signable(document, edition)
        existing = signed_original(edition)
        if existing is not None:
            return existing

    async def sign() -> Attachment:
        return await _sign(database, settings, officials, document_id, number, idempotency_key)

    return await queue.once((document_id, number), sign)


async def _sign(
    database: Database,
    settings: PublishingSettings,
    officials: Officials,
    document_id: int,
    number: int,
    idempotency_key: str | None,
) -> Attachment:
    async with database.session() as session:
        document = await load(session, document_id)
        edition = edition_of(document, number)
        _require_signable(document, edition)
        existing = signed_original(edition)
        if existing is not None:  # signed while this request waited its turn
            return existing
        signer_id = await signer_of(session, document, edition)
        if signer_id is None:
            raise Problem(
                409,
                "Not signed by the mayor",
                f"Edition {number} of document {document_id} has no approved signature step.",
            )
        sheet = _sheet(document, edition, signer_id)
    made = await asyncio.to_thread(make_signed, officials, signer_id, sheet, settings)
    folder: Path = settings.attachments_dir  # type: ignore[assignment]
    stored = await asyncio.to_thread(files.write_made, made.pdf, folder, filename_of(document), PDF)
    signature = made.check.signatures[0]
    async with database.transaction() as session:
        document = await load(session, document_id, lock=True)
        edition = edition_of(document, number)
        _require_signable(document, edition)
        existing = signed_original(edition)
        if existing is not None:  # another attempt got there first
            await asyncio.to_thread((folder / stored.stored_name).unlink, missing_ok=True)
            return existing
        attachment = Attachment(
            filename=stored.filename,
            stored_name=stored.stored_name,
            media_type=stored.media_type,
            size=stored.size,
            sha256=stored.sha256,
            created_by=service_subject("worker"),
            created_at=now(),
            signed_by=signer_id,
            signer_name=signature.signer,
            signed_at=signature.signed_at or datetime.now(UTC),
        )
        edition.attachments.append(attachment)
        session.add(
            AuditEntry(
                document_id=document.id,
                edition_number=edition.number,
                at=now(),
                actor=service_subject("worker"),
                action="sign",
                from_state=edition.state,
                to_state=edition.state,
                step=SIGNATURE_STEP,
                details={
                    "signer": signer_id,
                    "certificate": signature.signer_subject,
                    "issuer": signature.issuer,
                    "timestamped": signature.timestamped,
                    "sha256": stored.sha256,
                },
                idempotency_key=idempotency_key,
            )
        )
    return attachment


def _require_signable(document: Document, edition: Edition) -> None:
    if not is_legal_act(document):
        raise Problem(
            409, "Not a legal act", f"Document {document.id} is a {document.document_type}."
        )
    if edition.state not in SIGNABLE:
        raise Problem(
            409,
            "Not approved",
            f"Edition {edition.number} is {edition.state}; an act is signed once approved.",
            state=edition.state,
        )


async def discard(session: Any, edition: Edition) -> None:
    """A withdrawn or rejected edition loses its signature: what is approved again is
    signed again. (The file stays: editions share files, and files never change.)"""
    for attachment in [a for a in edition.attachments if a.is_signed_original]:
        edition.attachments.remove(attachment)
        await session.delete(attachment)
