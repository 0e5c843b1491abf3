"""The mayor's key on a token, and the time from a timestamp server.

A qualified signature's key lives on a smart card or an HSM: here a real SoftHSM token
(Debian's softhsm2) holds the official's key and certificate, and pyHanko signs through
its PKCS#11 library, the key never leaving it. The signing time comes from an RFC 3161
timestamp server over real HTTP (one served here with pyHanko's own time stamper and a
TSA certificate of its own), and a server that does not answer stops the signing with a
sentence saying so, within the timeout set.
"""

from __future__ import annotations

import http.server
import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from meria import pades
from meria.problems import Problem
from meria.testing.servers import free_port
from services.publishing.settings import PublishingSettings
from services.publishing.signed_originals import Officials
from tests.unit.test_signing_officials import minimal_pdf

SOFTHSM = next(
    (
        Path(p)
        for p in (
            "/usr/lib/softhsm/libsofthsm2.so",
            "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
        )
        if Path(p).exists()
    ),
    None,
)
needs_softhsm = pytest.mark.skipif(
    SOFTHSM is None or shutil.which("softhsm2-util") is None,
    reason="SoftHSM is not installed (apt-get install softhsm2; make test installs it)",
)
PIN = "4821"


@pytest.fixture
def token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh SoftHSM token labelled meria-mayor; yields the file holding its user PIN."""
    (tmp_path / "tokens").mkdir()
    conf = tmp_path / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tmp_path / 'tokens'}\nobjectstore.backend = file\n")
    monkeypatch.setenv("SOFTHSM2_CONF", str(conf))
    hsm(["--init-token", "--free", "--label", "meria-mayor", "--pin", PIN, "--so-pin", "91827364"])
    pin_file = tmp_path / "pin"
    pin_file.write_text(PIN + "\n")
    yield pin_file


def hsm(arguments: list[str]) -> None:
    subprocess.run(["softhsm2-util", *arguments], check=True, capture_output=True, env=os.environ)


def put_on_token(tmp_path: Path, key_and_certificate: bytes, label: str) -> None:
    """The official's key (imported by softhsm2-util) and certificate (written through
    PKCS#11) under one label, as a card issued by a qualified provider holds them."""
    import pkcs11
    from pkcs11 import Attribute, CertificateType, ObjectClass

    key, certificate, chain = pkcs12.load_key_and_certificates(key_and_certificate, None)
    assert key is not None and certificate is not None
    key_file = tmp_path / f"{label}.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    hsm(["--import", str(key_file), "--token", "meria-mayor", "--label", label, "--id", "01",
         "--pin", PIN])  # fmt: skip
    key_file.unlink()
    library = pkcs11.lib(str(SOFTHSM))
    with library.get_token(token_label="meria-mayor").open(rw=True, user_pin=PIN) as session:
        # The card carries its issuer's certificate beside the official's.
        for index, held in enumerate([certificate, *chain]):
            session.create_object(
                {
                    Attribute.CLASS: ObjectClass.CERTIFICATE,
                    Attribute.CERTIFICATE_TYPE: CertificateType.X_509,
                    Attribute.TOKEN: True,
                    Attribute.LABEL: label if index == 0 else f"{label}-issuer-{index}",
                    Attribute.ID: bytes([index + 1]),
                    Attribute.SUBJECT: held.subject.public_bytes(),
                    Attribute.VALUE: held.public_bytes(serialization.Encoding.DER),
                }
            )


def settings(tmp_path: Path, pin_file: Path, **values: Any) -> PublishingSettings:
    entry = {"pkcs11_module": str(SOFTHSM), "pkcs11_token_label": "meria-mayor",
             "pkcs11_key_label": "mayor", "pkcs11_pin_file": str(pin_file)}  # fmt: skip
    return PublishingSettings(var_dir=tmp_path / "var", signers={"giorgi.mayor": entry}, **values)


@needs_softhsm
def test_the_mayor_signs_with_the_key_on_a_token(tmp_path: Path, token: Path) -> None:
    ca = pades.DevelopmentCA(tmp_path / "ca", "Akhmeta Municipality City Hall")
    put_on_token(tmp_path, ca.signer("giorgi.mayor", "გიორგი ჩაჩანიძე").read_bytes(), "mayor")

    officials = Officials(settings(tmp_path, token))
    officials.check()
    with officials.source("giorgi.mayor", "").open() as signer:
        assert pades.signer_name(signer) == "გიორგი ჩაჩანიძე"
        signed = pades.sign_pdf(minimal_pdf(), signer, pades.Signing("ბრძანება № 4", "ახმეტა"))
    check = pades.check_pdf(signed, [ca.trust_roots_pem()])
    assert check.sound and check.signatures[0].signer == "გიორგი ჩაჩანიძე"

    # A wrong PIN, or a key the token does not hold, stops the service at its start with
    # the official named; production refuses the development CA's certificate.
    wrong = tmp_path / "wrong-pin"
    wrong.write_text("0000")
    with pytest.raises(pades.SigningError, match=r"giorgi\.mayor.*meria-mayor"):
        Officials(settings(tmp_path, wrong)).check()
    missing = settings(tmp_path, token)
    missing.signers["giorgi.mayor"] = missing.signers["giorgi.mayor"].model_copy(
        update={"pkcs11_key_label": "deputy"}
    )
    with pytest.raises(pades.SigningError, match=r"giorgi\.mayor"):
        Officials(missing).check()
    production = settings(tmp_path, token).model_copy(update={"environment": "production"})
    with pytest.raises(pades.SigningError, match="development test CA"):
        Officials(production).check()


class TimestampAuthority:
    """An RFC 3161 server over HTTP: pyHanko's time stamper with a TSA certificate issued
    by a root of its own, answering application/timestamp-query."""

    def __init__(self, folder: Path, at: datetime) -> None:
        from asn1crypto import keys  # type: ignore[import-untyped]
        from asn1crypto import x509 as asn1_x509
        from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

        root_key, tsa_key = new_key(), new_key()
        root = certificate("Timestamp Root", root_key, root_key, "Timestamp Root", ca=True)
        tsa = certificate("Meria Test TSA", tsa_key, root_key, "Timestamp Root", ca=False)
        self.root_pem = root.public_bytes(serialization.Encoding.PEM).decode()
        self.stamper = DummyTimeStamper(
            tsa_cert=asn1_x509.Certificate.load(tsa.public_bytes(serialization.Encoding.DER)),
            tsa_key=keys.PrivateKeyInfo.load(
                tsa_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            ),
            fixed_dt=at,
        )
        self.asked = 0

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        from asn1crypto import tsp

        authority = self

        class Answer(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = tsp.TimeStampReq.load(
                    self.rfile.read(int(self.headers["Content-Length"]))
                )
                authority.asked += 1
                body = authority.stamper.request_tsa_response(request).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_: Any) -> None:
                pass

        return Answer


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def certificate(
    name: str, key: rsa.RSAPrivateKey, issuer_key: rsa.RSAPrivateKey, issuer: str, *, ca: bool
) -> x509.Certificate:
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
        )
    return builder.sign(issuer_key, hashes.SHA256())


def test_the_signing_time_comes_from_the_timestamp_server(tmp_path: Path) -> None:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=3)
    authority = TimestampAuthority(tmp_path, at)
    port = free_port()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), authority.handler())
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        officials = Officials(PublishingSettings(var_dir=tmp_path / "var"))
        signing = pades.Signing(
            "ბრძანება № 5", "ახმეტა", timestamp_url=f"http://127.0.0.1:{port}/tsa"
        )
        with officials.source("giorgi.mayor", "გიორგი ჩაჩანიძე").open() as signer:
            signed = pades.sign_pdf(minimal_pdf(), signer, signing)
        assert authority.asked >= 1  # pyHanko asks once more to size the signature
        roots = [officials.trust_roots_pem(), authority.root_pem]
        check = pades.check_pdf(signed, roots)
        signature = check.signatures[0]
        assert check.sound and signature.timestamped
        assert signature.signed_at == at  # the server's time, not the signer's clock
    finally:
        server.shutdown()
        server.server_close()


def test_an_unreachable_timestamp_server_refuses_the_signature_in_a_sentence(
    tmp_path: Path,
) -> None:
    from services.publishing.act_pdf import ActSheet
    from services.publishing.signed_originals import make_signed

    values = {
        "timestamp_url": f"http://127.0.0.1:{free_port()}/tsa",
        "timestamp_timeout_seconds": 2,
    }
    settings_ = PublishingSettings(var_dir=tmp_path / "var", **values)  # type: ignore[arg-type]
    sheet = ActSheet(
        document_type="mayor_order", register_number="5/2026", date_signed=None,
        issuer_ka="ახმეტის მუნიციპალიტეტის მერი", title_ka="სკოლების გათბობის შესახებ",
        title_en=None, body_html_ka="<p>სკოლები გათბება.</p>", signer_name="გიორგი ჩაჩანიძე",
    )  # fmt: skip
    with pytest.raises(Problem) as refused:
        make_signed(Officials(settings_), "giorgi.mayor", sheet, settings_)
    assert refused.value.status == 503
    assert "timestamp server did not answer" in str(refused.value)
