"""Who signs legal acts with what: production refuses the development test CA's
certificates and issues none; an official's PKCS#12 key from settings signs."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from meria import pades
from meria.problems import Problem
from services.publishing.settings import PublishingSettings
from services.publishing.signed_originals import Officials


def settings(tmp_path: Path, **values: object) -> PublishingSettings:
    return PublishingSettings(var_dir=tmp_path / "var", **values)  # type: ignore[arg-type]


def in_production(settings: PublishingSettings) -> PublishingSettings:
    return settings.model_copy(update={"environment": "production"})


def test_production_refuses_a_certificate_of_the_development_test_ca(tmp_path: Path) -> None:
    ca = pades.DevelopmentCA(tmp_path / "ca", "Akhmeta Municipality City Hall")
    key = ca.signer("giorgi.mayor", "გიორგი ჩაჩანიძე")
    signers = {"giorgi.mayor": {"pkcs12": str(key)}}
    Officials(settings(tmp_path, signers=signers)).check()  # development takes it
    with pytest.raises(pades.SigningError, match="development test CA"):
        Officials(in_production(settings(tmp_path, signers=signers))).check()


def test_production_makes_no_test_certificate_for_an_official_without_a_key(
    tmp_path: Path,
) -> None:
    officials = Officials(in_production(settings(tmp_path)))
    assert "MERIA_PUBLISHING_SIGNERS" in (officials.refusal("giorgi.mayor") or "")
    with pytest.raises(Problem) as refused:
        officials.source("giorgi.mayor", "გიორგი ჩაჩანიძე")
    assert refused.value.status == 503
    assert not (tmp_path / "var" / "publishing" / "signing-ca").exists()
    # In development the same official gets a test certificate on first need.
    development = Officials(settings(tmp_path))
    assert development.refusal("giorgi.mayor") is None
    assert development.source("giorgi.mayor", "გიორგი ჩაჩანიძე").path.exists()  # type: ignore[union-attr]


def test_a_signer_names_one_kind_of_key(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="either pkcs12 or pkcs11_module"):
        settings(tmp_path, signers={"giorgi.mayor": {}})
    with pytest.raises(ValidationError, match="pkcs11_token_label"):
        settings(tmp_path, signers={"giorgi.mayor": {"pkcs11_module": "/usr/lib/x.so"}})


def test_a_password_protected_pkcs12_key_signs_and_validates(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        pkcs12,
    )

    ca = pades.DevelopmentCA(tmp_path / "ca", "Akhmeta Municipality City Hall")
    key, certificate, chain = pkcs12.load_key_and_certificates(
        ca.signer("giorgi.mayor", "გიორგი ჩაჩანიძე").read_bytes(), None
    )
    protected = tmp_path / "mayor.p12"
    protected.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"mayor",
            key,
            certificate,
            chain,
            BestAvailableEncryption(b"sec-ret"),  # type: ignore[arg-type]
        )
    )
    (tmp_path / "password").write_text("sec-ret\n")
    entry = {"pkcs12": str(protected), "pkcs12_password_file": str(tmp_path / "password")}
    officials = Officials(settings(tmp_path, signers={"giorgi.mayor": entry}))
    officials.check()
    with officials.source("giorgi.mayor", "").open() as signer:
        signed = pades.sign_pdf(minimal_pdf(), signer, pades.Signing("ბრძანება", "ახმეტა"))
    check = pades.check_pdf(signed, [ca.trust_roots_pem()])
    assert check.sound and check.signatures[0].signer == "გიორგი ჩაჩანიძე"
    wrong = {**entry, "pkcs12_password_file": str(tmp_path / "nothing")}
    (tmp_path / "nothing").write_text("wrong")
    with pytest.raises(pades.SigningError, match=r"giorgi\.mayor"):
        Officials(settings(tmp_path, signers={"giorgi.mayor": wrong})).check()


def minimal_pdf() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="Order 1/2027")
    return bytes(pdf.output())
