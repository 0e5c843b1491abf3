"""PAdES: PDF documents signed with an official's certificate, and the check of one.

A signed PDF carries its signer's certificate and the chain to the issuing CA; whoever
trusts the CA's root checks, with any PAdES validator (pyHanko, poppler's pdfsig, Adobe),
that the document is the one signed, by whom, and when. Signing and checking are CPU work
and pyHanko runs its own event loop for them: call these functions in a thread.

Development needs no qualified certificate: `DevelopmentCA` keeps a local test CA (a root,
the municipality's intermediate, a certificate per signing official) under the
installation's var/ directory. Its certificates name `DEVELOPMENT_MARK` as their
organisation unit, and production refuses any certificate that carries it.

Production names each signing official's key: a PKCS#12 file with its password, or a
PKCS#11 token (a smart card or HSM holding a qualified certificate) through pyHanko's
PKCS#11 signer, which needs the `python-pkcs11` package beside it.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEVELOPMENT_MARK = "Meria development test CA, not for production"
# The test CA's files are made by one thread at a time: fifty acts signed at once would
# otherwise each make a root of their own.
_CA_LOCK = threading.RLock()
PEM_CERTIFICATE = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----", re.DOTALL)


class SigningError(Exception):
    """A signer's key or certificate cannot be used; one line for the operator."""


# Development: a local test CA.


def _write_private(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def _fit(text: str) -> str:
    """X.509 keeps a name to 64 bytes of UTF-8: 21 Georgian letters."""
    return text.encode()[:64].decode(errors="ignore")


def _name(common_name: str, organisation: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "GE"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, _fit(organisation)),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, DEVELOPMENT_MARK),
            x509.NameAttribute(NameOID.COMMON_NAME, _fit(common_name)),
        ]
    )


def _certificate(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    *,
    ca: bool,
    years: int,
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
        )
    )
    usage = dict.fromkeys(
        ("digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
         "key_agreement", "key_cert_sign", "crl_sign", "encipher_only", "decipher_only"),
        False,
    )  # fmt: skip
    if ca:
        usage.update(key_cert_sign=True, crl_sign=True)
    else:
        usage.update(digital_signature=True, content_commitment=True)
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
    builder = builder.add_extension(x509.KeyUsage(**usage), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _key_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def safe_name(user_id: str) -> str:
    return "".join(char if char.isalnum() or char in "-_." else "_" for char in user_id)


@dataclass(frozen=True)
class DevelopmentCA:
    """The local test CA of a development installation, in `folder` (made on first use):
    `root.pem` (the trust anchor the website publishes), `municipality.pem` (the
    intermediate that issues the officials' certificates), their keys (0600), and
    `signers/<user>.p12`, one per signing official, without a password."""

    folder: Path
    organisation: str

    @property
    def root_path(self) -> Path:
        return self.folder / "root.pem"

    @property
    def intermediate_path(self) -> Path:
        return self.folder / "municipality.pem"

    def signer_path(self, user_id: str) -> Path:
        return self.folder / "signers" / f"{safe_name(user_id)}.p12"

    def ensure(self) -> list[str]:
        """Make the root and the intermediate if they are not there; returns what was made."""
        with _CA_LOCK:
            return self._ensure()

    def _ensure(self) -> list[str]:
        made: list[str] = []
        if not self.root_path.exists():
            root_key = _new_key()
            root_name = _name("Meria development Root CA", self.organisation)
            root = _certificate(root_name, root_key, root_name, root_key, ca=True, years=20)
            _write_private(self.folder / "root-key.pem", _key_pem(root_key))
            self.root_path.write_bytes(_pem(root))
            made.append(str(self.root_path))
            # A new root makes every certificate under it new too.
            self.intermediate_path.unlink(missing_ok=True)
            for old in (self.folder / "signers").glob("*.p12"):
                old.unlink()
        if not self.intermediate_path.exists():
            root_key = self._key("root-key.pem")
            root = x509.load_pem_x509_certificate(self.root_path.read_bytes())
            key = _new_key()
            name = _name("Meria development Signing CA", self.organisation)
            certificate = _certificate(name, key, root.subject, root_key, ca=True, years=10)
            _write_private(self.folder / "municipality-key.pem", _key_pem(key))
            self.intermediate_path.write_bytes(_pem(certificate))
            made.append(str(self.intermediate_path))
        return made

    def _key(self, name: str) -> rsa.RSAPrivateKey:
        key = serialization.load_pem_private_key((self.folder / name).read_bytes(), None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key

    def signer(self, user_id: str, common_name: str) -> Path:
        """The official's PKCS#12 file, issued by the intermediate on first use."""
        with _CA_LOCK:
            return self._signer(user_id, common_name)

    def _signer(self, user_id: str, common_name: str) -> Path:
        self._ensure()
        path = self.signer_path(user_id)
        if path.exists():
            return path
        issuer = x509.load_pem_x509_certificate(self.intermediate_path.read_bytes())
        key = _new_key()
        certificate = _certificate(
            _name(common_name, self.organisation),
            key,
            issuer.subject,
            self._key("municipality-key.pem"),
            ca=False,
            years=3,
        )
        bundle = pkcs12.serialize_key_and_certificates(
            safe_name(user_id).encode(),
            key,
            certificate,
            [issuer],
            serialization.NoEncryption(),
        )
        _write_private(path, bundle)
        return path

    def trust_roots_pem(self) -> str:
        self.ensure()
        return self.root_path.read_text(encoding="ascii")


# Signers.


@dataclass(frozen=True)
class Pkcs11Key:
    """A key on a PKCS#11 token: the module (the token's library), the token's label, the
    key's label (and of its certificate, if it differs), and the user PIN."""

    module: Path
    token_label: str
    key_label: str
    pin: str | None
    cert_label: str | None = None


def certificates_in(pem: bytes) -> list[x509.Certificate]:
    return [x509.load_pem_x509_certificate(block) for block in PEM_CERTIFICATE.findall(pem)]


def is_development(certificate: x509.Certificate) -> bool:
    units = certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    units += certificate.issuer.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    return any(unit.value == DEVELOPMENT_MARK for unit in units)


def pkcs12_certificate(data: bytes, password: bytes | None) -> x509.Certificate:
    try:
        _, certificate, _ = pkcs12.load_key_and_certificates(data, password)
    except ValueError as error:
        raise SigningError(f"cannot read the PKCS#12 file: {error}") from None
    if certificate is None:
        raise SigningError("the PKCS#12 file holds no certificate")
    return certificate


def load_pkcs12_signer(data: bytes, password: bytes | None, *, production: bool) -> Any:
    """pyHanko's signer for a PKCS#12 file; production refuses a development certificate."""
    from pyhanko.sign import signers

    certificate = pkcs12_certificate(data, password)
    if production and is_development(certificate):
        raise SigningError(
            "the certificate is the development test CA's; production signs with the "
            "official's own certificate"
        )
    try:
        return signers.SimpleSigner.load_pkcs12_data(data, [], passphrase=password)
    except ValueError as error:
        raise SigningError(str(error)) from None


def signer_name(signer: Any) -> str:
    """The signer's name as their certificate gives it (its common name)."""
    name: str = signer.signing_cert.subject.native.get("common_name") or (
        signer.signing_cert.subject.human_friendly
    )
    return name


# Signing.


class HttpTimeStamper:
    """An RFC 3161 timestamp server asked over HTTP with a timeout (httpx), for pyHanko."""

    def __new__(cls, url: str, timeout: float) -> Any:
        from asn1crypto import tsp  # type: ignore[import-untyped]
        from pyhanko.sign.timestamps.api import TimeStamper
        from pyhanko.sign.timestamps.common_utils import TimestampRequestError

        class _Stamper(TimeStamper):
            async def async_request_tsa_response(self, req: Any) -> Any:
                try:
                    async with httpx.AsyncClient(timeout=timeout) as http:
                        response = await http.post(
                            url,
                            content=req.dump(),
                            headers={"Content-Type": "application/timestamp-query"},
                        )
                except httpx.HTTPError as error:
                    raise TimestampRequestError(
                        f"the timestamp server did not answer: {error}"
                    ) from None
                kind = response.headers.get("content-type", "")
                if response.status_code != 200 or kind != "application/timestamp-reply":
                    raise TimestampRequestError(
                        f"the timestamp server answered HTTP {response.status_code} ({kind})"
                    )
                return tsp.TimeStampResp.load(response.content)

        return _Stamper()  # type: ignore[no-untyped-call]


@dataclass(frozen=True)
class Signing:
    """What the signature says beside the signer's certificate."""

    reason: str
    location: str
    contact: str | None = None
    timestamp_url: str | None = None
    timestamp_timeout: float = 10.0


def sign_pdf(pdf: bytes, signer: Any, signing: Signing) -> bytes:
    """Sign `pdf` as PAdES B-B (B-T with a timestamp server): an incremental update, so a
    PDF/A stays one. CPU work and, with a timestamp server, a call out: run in a thread."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import fields, signers

    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    metadata = signers.PdfSignatureMetadata(
        field_name="Signature",
        reason=signing.reason,
        location=signing.location,
        contact_info=signing.contact,
        name=signer_name(signer),
        subfilter=fields.SigSeedSubFilter.PADES,
        md_algorithm="sha256",
    )
    stamper = (
        HttpTimeStamper(signing.timestamp_url, signing.timestamp_timeout)
        if signing.timestamp_url
        else None
    )
    output = io.BytesIO()
    signers.sign_pdf(writer, metadata, signer=signer, timestamper=stamper, output=output)
    return output.getvalue()


async def sign_pdf_off_loop(pdf: bytes, signer: Any, signing: Signing) -> bytes:
    return await asyncio.to_thread(sign_pdf, pdf, signer, signing)


# Checking.


@dataclass(frozen=True)
class SignatureCheck:
    """One signature of a PDF, as a validator judged it."""

    signer: str
    signer_subject: str
    issuer: str
    signed_at: datetime | None
    timestamped: bool
    # The signed bytes hash to the signed digest: nothing was changed after signing.
    intact: bool
    # The signature over that digest is the certificate's key's.
    valid: bool
    # The certificate chains to a trusted root (the municipality's CA, or one configured).
    trusted: bool
    # The signature covers the whole file, or only additions that change nothing signed.
    covers_document: bool
    summary: str

    @property
    def sound(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_document


@dataclass(frozen=True)
class PdfCheck:
    signatures: list[SignatureCheck]
    unreadable: str | None = None

    @property
    def signed(self) -> bool:
        return bool(self.signatures)

    @property
    def sound(self) -> bool:
        return self.signed and all(signature.sound for signature in self.signatures)

    @property
    def tampered(self) -> bool:
        """The file was changed after it was signed (or is no readable PDF any more)."""
        return self.unreadable is not None or any(
            not (signature.intact and signature.valid and signature.covers_document)
            for signature in self.signatures
        )


def check_pdf(data: bytes, trust_roots_pem: list[str]) -> PdfCheck:
    """Every signature in `data`, validated against `trust_roots_pem` alone: no revocation
    lookups go out (the certificates name none to ask). CPU work: run in a thread."""
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.errors import PathBuildingError

    roots = [
        _asn1(certificate)
        for pem in trust_roots_pem
        for certificate in certificates_in(pem.encode())
    ]
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfReadError, ValueError, KeyError, TypeError) as error:
        return PdfCheck([], unreadable=f"not a readable PDF: {error}")
    found: list[SignatureCheck] = []
    for signature in embedded:
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        try:
            status = validate_pdf_signature(signature, context)
        except (PdfReadError, ValueError, PathBuildingError) as error:
            return PdfCheck(found, unreadable=f"the signature cannot be checked: {error}")
        certificate = status.signing_cert
        timestamp = status.timestamp_validity
        coverage = status.coverage.name if status.coverage is not None else ""
        found.append(
            SignatureCheck(
                signer=certificate.subject.native.get("common_name", ""),
                signer_subject=certificate.subject.human_friendly,
                issuer=certificate.issuer.human_friendly,
                signed_at=timestamp.timestamp if timestamp else status.signer_reported_dt,
                timestamped=timestamp is not None and timestamp.intact and timestamp.valid,
                intact=status.intact,
                valid=status.valid,
                trusted=status.trusted,
                covers_document=coverage == "ENTIRE_FILE"
                or (coverage == "ENTIRE_REVISION" and status.modification_level is not None
                    and status.modification_level.name in ("NONE", "LTA_UPDATES")),
                summary=status.summary(),
            )
        )  # fmt: skip
    return PdfCheck(found)


async def check_pdf_off_loop(data: bytes, trust_roots_pem: list[str]) -> PdfCheck:
    return await asyncio.to_thread(check_pdf, data, trust_roots_pem)


def _asn1(certificate: x509.Certificate) -> Any:
    from asn1crypto import x509 as asn1_x509

    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))
