"""Is this copy authentic? A file's or a hash's match among published editions and
attachments, with the publication record's signature checked against the public key."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from meria import pades
from meria.signatures import canonical_json, edition_content, sha256_hex, verify
from services.website.models import PublicAttachment, PublicDocument, PublicEdition


@dataclass(frozen=True)
class Verdict:
    """What a hash matched: an edition's canonical content or one of its attachments."""

    document: PublicDocument
    edition: PublicEdition
    attachment: PublicAttachment | None
    signature_valid: bool
    # The current edition's content, rebuilt from what the website shows, hashes to the
    # signed value (None for older editions, whose text the site no longer shows).
    content_intact: bool | None


async def check(session: AsyncSession, sha256: str) -> Verdict | None:
    edition = await session.scalar(
        select(PublicEdition).where(PublicEdition.content_sha256 == sha256).limit(1)
    )
    attachment = None
    if edition is None:
        attachment = await session.scalar(
            select(PublicAttachment).where(PublicAttachment.sha256 == sha256).limit(1)
        )
        if attachment is None:
            return None
        edition = await session.scalar(
            select(PublicEdition).where(
                PublicEdition.document_id == attachment.document_id,
                PublicEdition.edition == attachment.edition,
            )
        )
        if edition is None:
            return None
    document = await session.get(PublicDocument, edition.document_id)
    if document is None:
        return None
    record = edition.publication_record or {}
    signed = bool(
        edition.signing_key_pem
        and edition.signature
        and verify(edition.signing_key_pem, record, edition.signature)
    )
    consistent = record.get("content_sha256") == edition.content_sha256
    intact = None
    if document.edition == edition.edition:
        attachments = list(
            await session.scalars(
                select(PublicAttachment)
                .where(
                    PublicAttachment.document_id == document.document_id,
                    PublicAttachment.edition == edition.edition,
                )
                .order_by(PublicAttachment.attachment_id)
            )
        )
        intact = shown_content_hash(document, edition, attachments) == edition.content_sha256
    return Verdict(document, edition, attachment, signed and consistent, intact)


def shown_content_hash(
    document: PublicDocument, edition: PublicEdition, attachments: list[PublicAttachment]
) -> str:
    """The SHA-256 of the edition's canonical content, as the website shows it."""
    content = edition_content(
        document_id=document.document_id,
        edition=edition.edition,
        document_type=document.document_type,
        issuer=document.issuer_code,
        register_number=document.register_number,
        date_signed=document.date_signed.isoformat() if document.date_signed else None,
        external_registration_code=document.external_registration_code,
        title=(document.title_ka, document.title_en),
        summary=(document.summary_ka, document.summary_en),
        body=(document.body_html_ka or "", document.body_html_en),
        translation_pending=document.translation_pending,
        change_note=edition.change_note,
        attachments=[
            {"filename": a.filename, "media_type": a.media_type, "size": a.size, "sha256": a.sha256}
            for a in attachments
        ],
    )
    return sha256_hex(canonical_json(content))


async def trust_anchors(session: AsyncSession) -> list[str]:
    """Every set of root certificates an act's signed original was published with."""
    found = await session.scalars(
        select(PublicEdition.signing_ca_pem)
        .where(PublicEdition.signing_ca_pem.is_not(None))
        .group_by(PublicEdition.signing_ca_pem)
        .order_by(func.max(PublicEdition.id).desc())
    )
    return [pem for pem in found if pem]


async def check_signed_pdf(session: AsyncSession, data: bytes) -> pades.PdfCheck | None:
    """A PDF's signatures against the published roots, or None for a file that is no PDF
    or carries no signature."""
    if b"%PDF-" not in data[:1024]:
        return None
    anchors = await trust_anchors(session)
    report = await pades.check_pdf_off_loop(data, anchors)
    if report.signed or (report.unreadable and b"/ByteRange" in data):
        return report
    return None
