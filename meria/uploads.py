"""One way in for every uploaded file, and one way out.

Every path that takes a file (a document's attachments, an information request's answer,
the media library) hands it to `check` with its `Policy`: the types it accepts, each with
its size limit, and the limits on what a file may unpack to. The file's type is read from
its content, never from its name, and the name must agree with it. Then, by kind:

- a picture is decoded within a pixel limit (Pillow's decompression-bomb guard becomes a
  413) and written anew without GPS, XMP, IPTC, comments or any EXIF tag but the few
  that say how it was taken (camera, orientation, date, credit): a photo of a child at a
  school opening must not say where the child lives;
- an Office or OpenDocument file is opened as the ZIP archive it is, with limits on its
  entries, on what they unpack to and on how far they are compressed (a 1 GiB run of
  zeros packs into 1 MB), and without macros or links that fetch code when opened;
- a PDF is read by pypdf, every object, and refused if it carries JavaScript, actions run
  on opening (`/OpenAction` with an action, `/AA`), `/Launch` or an XFA form;
- a text or CSV file must really be UTF-8 text, not HTML, SVG or a script named `.txt`.

A refusal is a problem (4xx) that says why; nothing is kept of it. The caller stores what
passed under `Checked.stored_name`, a name of ours. The CPU-heavy checks run in a thread,
two at a time per process, so the event loop keeps serving while a large picture is
re-encoded.

`served_headers` is the way out: every file response says `nosniff`, and only pictures
and PDFs are shown in the browser; anything else is a download.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import logging
import re
import unicodedata
import uuid
import weakref
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import IO, Any, Literal, get_args
from urllib.parse import quote

import anyio
import anyio.to_thread
import filetype
from PIL.ExifTags import Base as Tag
from pydantic import Field

from meria.config import ServiceSettings
from meria.problems import Problem

MiB = 1024 * 1024
CHUNK = MiB
# pypdf warns of every broken cross-reference table it repairs, and broken ones are common.
logging.getLogger("pypdf").setLevel(logging.ERROR)

Family = Literal["image", "pdf", "office", "legacy_office", "text", "video", "audio"]
UploadType = Literal[
    "jpeg",
    "png",
    "webp",
    "tiff",
    "gif",
    "pdf",
    "docx",
    "xlsx",
    "pptx",
    "odt",
    "ods",
    "doc",
    "xls",
    "csv",
    "txt",
    "mp4",
    "mov",
    "webm",
    "mp3",
]


@dataclass(frozen=True)
class FileType:
    name: UploadType
    media_type: str
    family: Family
    label: str
    # What a person's file name may end in; the first is the stored file's.
    extensions: tuple[str, ...]

    @property
    def extension(self) -> str:
        return self.extensions[0]


TYPES: dict[UploadType, FileType] = {
    t.name: t
    for t in (
        FileType("jpeg", "image/jpeg", "image", "JPEG", ("jpg", "jpeg", "jpe", "jfif")),
        FileType("png", "image/png", "image", "PNG", ("png",)),
        FileType("webp", "image/webp", "image", "WebP", ("webp",)),
        FileType("tiff", "image/tiff", "image", "TIFF", ("tif", "tiff")),
        FileType("gif", "image/gif", "image", "GIF", ("gif",)),
        FileType("pdf", "application/pdf", "pdf", "PDF", ("pdf",)),
        FileType(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "office",
            "Word (DOCX)",
            ("docx",),
        ),
        FileType(
            "xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "office",
            "Excel (XLSX)",
            ("xlsx",),
        ),
        FileType(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            "office",
            "PowerPoint (PPTX)",
            ("pptx",),
        ),
        FileType("odt", "application/vnd.oasis.opendocument.text", "office", "ODT", ("odt",)),
        FileType(
            "ods", "application/vnd.oasis.opendocument.spreadsheet", "office", "ODS", ("ods",)
        ),
        FileType("doc", "application/msword", "legacy_office", "Word 97–2003", ("doc",)),
        FileType("xls", "application/vnd.ms-excel", "legacy_office", "Excel 97–2003", ("xls",)),
        FileType("csv", "text/csv", "text", "CSV", ("csv",)),
        FileType("txt", "text/plain", "text", "text", ("txt",)),
        FileType("mp4", "video/mp4", "video", "MP4", ("mp4", "m4v")),
        FileType("mov", "video/quicktime", "video", "MOV", ("mov", "qt")),
        FileType("webm", "video/webm", "video", "WebM", ("webm",)),
        FileType("mp3", "audio/mpeg", "audio", "MP3", ("mp3",)),
    )
}
BY_MEDIA_TYPE = {t.media_type: t for t in TYPES.values()}
# What filetype says of some of them: an animated PNG is a PNG.
GUESSED = BY_MEDIA_TYPE | {"image/apng": TYPES["png"]}
assert set(TYPES) == set(get_args(UploadType))


class UploadSettings(ServiceSettings):
    """A service that takes files, and what an upload may unpack to there (read as
    `MERIA_<PROCESS>_UPLOAD_…`)."""

    # Pixels of a picture, every frame or page counted (Pillow's own guard is ~89 million).
    upload_max_image_pixels: int = Field(80_000_000, gt=0)
    upload_max_archive_entries: int = Field(5_000, gt=0)
    # What an Office file's entries unpack to, together.
    upload_max_archive_bytes: int = Field(256 * MiB, gt=0)
    # How many times larger than packed an Office file (or one of its entries over 1 MiB)
    # may be: text XML packs 5–20 times, a run of zeros a thousand times.
    upload_max_archive_ratio: int = Field(100, gt=1)

    def upload_limits(self) -> Limits:
        return Limits(
            image_pixels=self.upload_max_image_pixels,
            archive_entries=self.upload_max_archive_entries,
            archive_bytes=self.upload_max_archive_bytes,
            archive_ratio=self.upload_max_archive_ratio,
        )


@dataclass(frozen=True)
class Limits:
    image_pixels: int = 80_000_000
    archive_entries: int = 5_000
    archive_bytes: int = 256 * MiB
    archive_ratio: int = 100


@dataclass(frozen=True)
class Policy:
    """What one upload path takes: each accepted type with its largest size in bytes."""

    what: str  # "An attachment", for messages
    sizes: Mapping[UploadType, int]
    limits: Limits = field(default_factory=Limits)
    # The library makes a thumbnail of a picture (its longer side, in pixels).
    thumbnail_pixels: int | None = None

    @classmethod
    def of(
        cls,
        what: str,
        types: Iterable[UploadType],
        max_bytes: int,
        limits: Limits,
        thumbnail_pixels: int | None = None,
    ) -> Policy:
        """One size limit for every type."""
        return cls(what, dict.fromkeys(types, max_bytes), limits, thumbnail_pixels)

    def accepts(self, file_type: FileType) -> bool:
        return file_type.name in self.sizes

    def accepted(self) -> str:
        return ", ".join(TYPES[name].label for name in self.sizes)


@dataclass
class Checked:
    """An upload that passed: what to store (the caller closes it) and what it is."""

    content: IO[bytes]
    filename: str  # the person's name for it, cleaned, for display and downloads
    stored_name: str  # a name of ours
    file_type: FileType
    size: int
    sha256: str
    width: int | None = None
    height: int | None = None
    location_removed: bool = False
    thumbnail: bytes | None = None
    # False when `content` is the caller's own file, passed on unchanged.
    owned: bool = True

    @property
    def media_type(self) -> str:
        return self.file_type.media_type

    def close(self) -> None:
        if self.owned:
            self.content.close()


async def check(source: IO[bytes], filename: str | None, policy: Policy) -> Checked:
    """Read, check and clean an upload in a worker thread; a refusal raises a `Problem`."""
    return await anyio.to_thread.run_sync(check_now, source, filename, policy, limiter=_limiter())


# At most two uploads are checked at once per process: a large picture takes a core and
# hundreds of MB while it is re-encoded. The others wait their turn on the event loop,
# not in threads the rest of the service needs.
CONCURRENT_CHECKS = 2
_limiters: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, anyio.CapacityLimiter] = (
    weakref.WeakKeyDictionary()
)


def _limiter() -> anyio.CapacityLimiter:
    loop = asyncio.get_running_loop()
    if loop not in _limiters:
        _limiters[loop] = anyio.CapacityLimiter(CONCURRENT_CHECKS)
    return _limiters[loop]


def check_now(source: IO[bytes], filename: str | None, policy: Policy) -> Checked:
    name = display_name(filename)
    size = source.seek(0, io.SEEK_END)
    if size == 0:
        raise Problem(422, "Empty file", f"{name} is empty.")
    source.seek(0)
    head = source.read(8192)
    file_type = _identify(head, name, policy)
    _within(size, file_type, name, policy)
    source.seek(0)
    checked = _examine(source, size, file_type, name, policy)
    declared = declared_extension(name)
    if declared is None:
        checked.filename = f"{name}.{checked.file_type.extension}"[-MAX_NAME:]
    return checked


def _examine(
    source: IO[bytes], size: int, file_type: FileType, name: str, policy: Policy
) -> Checked:
    family = file_type.family
    if family == "image":
        return _picture(source.read(), file_type, name, policy)
    if family == "office":
        file_type = _archive(source, size, name, policy)
    elif family == "pdf":
        _pdf(source, name)
    elif family == "text":
        _text(source.read(), file_type, name)
    source.seek(0)
    digest = hashlib.sha256()
    while chunk := source.read(CHUNK):
        digest.update(chunk)
    source.seek(0)
    return Checked(
        content=source,
        owned=False,
        filename=name,
        stored_name=stored_name(file_type),
        file_type=file_type,
        size=size,
        sha256=digest.hexdigest(),
    )


def stored_name(file_type: FileType) -> str:
    return f"{uuid.uuid4().hex}.{file_type.extension}"


# Names.

MAX_NAME = 200


def display_name(filename: str | None) -> str:
    """The last part of a person's file name, without control or direction marks (a
    right-to-left override makes `photo‮gpj.exe` read as `photoexe.jpg`)."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip(" .")
    if len(name) > MAX_NAME:
        stem, dot, extension = name.rpartition(".")
        name = f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}" if dot else name[:MAX_NAME]
    return name or "file"


def declared_extension(name: str) -> str | None:
    """What the name says the file is: `pdf` of `ბრძანება.PDF`; None for `ოქმი.2026`."""
    _, dot, extension = name.rpartition(".")
    extension = extension.lower()
    if dot and re.fullmatch(r"[a-z][a-z0-9]{0,5}", extension):
        return extension
    return None


# Type from content.

TEXT_EXTENSIONS = {"txt": TYPES["txt"], "csv": TYPES["csv"]}
ZIP = b"PK\x03\x04"


def _identify(head: bytes, name: str, policy: Policy) -> FileType:
    declared = declared_extension(name)
    guess = filetype.guess(head)
    guessed = GUESSED.get(guess.mime) if guess is not None else None
    if head.startswith(ZIP) and (guessed is None or guessed.family == "office"):
        # What a ZIP holds decides which Office file it is, once it is opened (filetype
        # reads only its head); the name is compared with that.
        return _first_office(name, policy)
    if (
        declared in TEXT_EXTENSIONS
        and policy.accepts(TEXT_EXTENSIONS[declared])
        and (guessed is None or not policy.accepts(guessed))
    ):
        # Text has no signature: a name saying text is checked as text, whole.
        found = TEXT_EXTENSIONS[declared]
    elif guessed is None:
        said = guess.mime if guess is not None else "not recognised"
        raise _not_accepted(name, said, policy)
    else:
        found = guessed
    if not policy.accepts(found):
        raise _not_accepted(name, found.label, policy)
    _agrees(found, declared, name)
    return found


def _first_office(name: str, policy: Policy) -> FileType:
    office = [TYPES[n] for n in policy.sizes if TYPES[n].family == "office"]
    if not office:
        raise _not_accepted(name, "a ZIP archive", policy)
    return office[0]


def _not_accepted(name: str, said: str, policy: Policy) -> Problem:
    return Problem(
        415,
        "File type not accepted",
        f"{name}: its content is {said}; {policy.what.lower()} may be {policy.accepted()}.",
    )


def _agrees(found: FileType, declared: str | None, name: str) -> None:
    if declared is not None and declared not in found.extensions:
        raise Problem(
            422,
            "Not what it says",
            f"{name} is named .{declared}, but its content is {found.label}: rename it "
            f".{found.extension} if that is what it is.",
        )


def _within(size: int, file_type: FileType, name: str, policy: Policy) -> None:
    limit = policy.sizes[file_type.name] if policy.accepts(file_type) else 0
    if file_type.family == "office":
        limit = max(s for n, s in policy.sizes.items() if TYPES[n].family == "office")
    if size > limit:
        raise Problem(
            413,
            "File too large",
            f"{name} is {_megabytes(size)}; {policy.what.lower()} ({file_type.label}) may be "
            f"at most {_megabytes(limit)}.",
        )


def _megabytes(size: int) -> str:
    return f"{size / MiB:.1f} MB" if size < 10 * MiB else f"{size // MiB} MB"


# Pictures.

PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "tiff": "TIFF", "gif": "GIF"}
# The EXIF tags a picture keeps: how it was taken and whose it is; nothing of where, of
# which device (serial numbers) or of what someone wrote about it.
KEPT_TAGS = {
    Tag.Make,
    Tag.Model,
    Tag.Orientation,
    Tag.XResolution,
    Tag.YResolution,
    Tag.ResolutionUnit,
    Tag.Software,
    Tag.DateTime,
    Tag.Artist,
    Tag.Copyright,
}
EXIF_IFD = Tag.ExifOffset
GPS_IFD = Tag.GPSInfo
KEPT_EXIF_TAGS = {
    Tag.ExposureTime,
    Tag.FNumber,
    Tag.ExposureProgram,
    Tag.ISOSpeedRatings,
    Tag.DateTimeOriginal,
    Tag.DateTimeDigitized,
    Tag.OffsetTime,
    Tag.OffsetTimeOriginal,
    Tag.OffsetTimeDigitized,
    Tag.ShutterSpeedValue,
    Tag.ApertureValue,
    Tag.ExposureBiasValue,
    Tag.MeteringMode,
    Tag.Flash,
    Tag.FocalLength,
    Tag.ColorSpace,
    Tag.FocalLengthIn35mmFilm,
    Tag.LensMake,
    Tag.LensModel,
}
# EXIF tags outside the GPS block that can name a place: Microsoft's XPSubject and
# XPComment and the user comment, free text where phones put locations too.
PLACE_TAGS = (Tag.XPSubject, Tag.XPComment, Tag.UserComment)
# Of what Pillow reads into `info`, what a picture needs to look the same.
KEPT_INFO = {"transparency", "duration", "loop", "disposal", "blend", "background", "dpi"}
# Packets that carry places among much else, read into `info`.
LOCATION_PACKETS = ("xmp", "XML:com.adobe.xmp", "iptc", "photoshop")


def _picture(data: bytes, file_type: FileType, name: str, policy: Policy) -> Checked:
    from PIL import ImageOps, UnidentifiedImageError

    image = _open_picture(data, file_type, name, policy.limits)
    try:
        removed = _has_location(image, image.getexif())
        frames = _frames(image)
        # Read after decoding: Pillow turns a TIFF upright as it loads and drops its
        # orientation tag, which must then not turn it again.
        cleaned = _write_picture(image, frames, file_type, _kept_exif(image.getexif()))
        thumbnail = None
        if policy.thumbnail_pixels:
            image.seek(0)
            thumbnail = _thumbnail(ImageOps.exif_transpose(image), policy.thumbnail_pixels)
        width, height = image.size
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as error:
        raise Problem(422, "Not a picture", f"{name} cannot be read: {error}") from None
    finally:
        image.close()
    _location_gone(cleaned, name)
    return Checked(
        content=io.BytesIO(cleaned),
        filename=name,
        stored_name=stored_name(file_type),
        file_type=file_type,
        size=len(cleaned),
        sha256=hashlib.sha256(cleaned).hexdigest(),
        width=width,
        height=height,
        location_removed=removed,
        thumbnail=thumbnail,
    )


def _open_picture(data: bytes, file_type: FileType, name: str, limits: Limits) -> Any:
    from PIL import Image, UnidentifiedImageError

    try:
        image = Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[file_type.name]])
    except Image.DecompressionBombError as error:
        # Pillow's own guard, at twice its limit, says only how many pixels there are.
        counted = re.search(r"\((\d+) pixels\)", str(error))
        raise _too_many_pixels(name, int(counted[1]) if counted else None, limits) from None
    except (UnidentifiedImageError, OSError, ValueError, EOFError) as error:
        raise Problem(422, "Not a picture", f"{name} cannot be read: {error}") from None
    try:
        pixels = _pixels(image)
    except (OSError, ValueError, EOFError) as error:
        image.close()
        raise Problem(422, "Not a picture", f"{name} cannot be read: {error}") from None
    if pixels > limits.image_pixels:
        image.close()
        raise _too_many_pixels(name, pixels, limits)
    return image


def _pixels(image: Any) -> int:
    """Pixels in every frame, counted from the headers before anything is decoded."""
    count = int(getattr(image, "n_frames", 1))
    if count == 1 or image.format != "TIFF":
        width, height = image.size
        return int(width * height * count)
    total = 0
    for index in range(count):  # a TIFF's pages each have a size of their own
        image.seek(index)
        total += image.size[0] * image.size[1]
    image.seek(0)
    return total


def _too_many_pixels(name: str, pixels: int | None, limits: Limits) -> Problem:
    given = f" ({_megapixels(pixels)} megapixels)" if pixels else ""
    return Problem(
        413,
        "Picture too large",
        f"{name}{given} has more pixels than a picture may have here: at most "
        f"{_megapixels(limits.image_pixels)} megapixels. Make it smaller and try again.",
    )


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.4g}"


def _has_location(image: Any, exif: Any) -> bool:
    return (
        bool(exif.get_ifd(GPS_IFD))
        or GPS_IFD in exif
        or any(tag in exif for tag in PLACE_TAGS)
        or any(key in image.info for key in LOCATION_PACKETS)
        or bool(getattr(image, "tag_v2", {}).get(700))  # XMP in a TIFF's own tags
    )


def _kept_exif(exif: Any) -> bytes:
    from PIL import Image

    kept = Image.Exif()
    for tag, value in exif.items():
        if tag in KEPT_TAGS:
            kept[tag] = value
    taken = {tag: v for tag, v in exif.get_ifd(EXIF_IFD).items() if tag in KEPT_EXIF_TAGS}
    if taken:
        kept[EXIF_IFD] = taken
    return bytes(kept.tobytes()) if len(kept) else b""


def _frames(image: Any) -> list[Any]:
    """Each frame as a new picture with nothing of the file it came from but its pixels
    and what it needs to look the same (a copy drops a TIFF's own tags too)."""
    from PIL import ImageSequence

    frames = []
    for frame in ImageSequence.Iterator(image):
        copy = frame.copy()
        copy.info = {key: value for key, value in frame.info.items() if key in KEPT_INFO}
        frames.append(copy)
        if image.format == "JPEG" or image.format == "MPO":
            break  # a JPEG is one picture; an MPO's others (depth maps) have EXIF of their own
    image.seek(0)
    return frames


TIFF_COMPRESSIONS = {"raw", "tiff_lzw", "tiff_adobe_deflate", "packbits", "group4", "jpeg"}


def _write_picture(image: Any, frames: list[Any], file_type: FileType, exif: bytes) -> bytes:
    from PIL import JpegImagePlugin

    options: dict[str, Any] = {}
    if exif:
        options["exif"] = exif
    if icc := image.info.get("icc_profile"):
        options["icc_profile"] = icc
    if file_type.name == "jpeg":
        # The camera's own quantisation tables: no visible loss from the rewrite.
        options["qtables"] = getattr(image, "quantization", None) or "web_high"
        sampling = JpegImagePlugin.get_sampling(image)
        if sampling != -1:
            options["subsampling"] = sampling
    elif file_type.name == "webp":
        options |= {"lossless": bool(image.info.get("lossless")), "quality": 95}
    elif file_type.name == "tiff":
        compression = image.info.get("compression", "raw")
        options["compression"] = (
            compression if compression in TIFF_COMPRESSIONS else "tiff_adobe_deflate"
        )
    if image.format == "PNG" and "dpi" in image.info:
        options["dpi"] = image.info["dpi"]
    if len(frames) > 1:
        options |= {"save_all": True, "append_images": frames[1:]}
        if file_type.name in ("gif", "png", "webp"):
            options["duration"] = [frame.info.get("duration", 100) for frame in frames]
            if "loop" in image.info:  # without it, an animation plays once
                options["loop"] = image.info["loop"]
    output = io.BytesIO()
    frames[0].save(output, format=PILLOW_FORMATS[file_type.name], **options)
    return output.getvalue()


def _thumbnail(image: Any, pixels: int) -> bytes:
    preview = image.copy()
    preview.thumbnail((pixels, pixels))
    if preview.mode == "P":
        preview = preview.convert("RGBA")  # its transparency, if any, goes with it
    if preview.mode not in ("RGB", "L"):
        preview = preview.convert("RGB")
    small = io.BytesIO()
    preview.save(small, format="JPEG", quality=85)
    return small.getvalue()


def _location_gone(cleaned: bytes, name: str) -> None:
    """Read the new file back: nothing of where it was taken may have survived."""
    from PIL import Image

    with Image.open(io.BytesIO(cleaned)) as written:
        exif = written.getexif()
        left = GPS_IFD in exif or any(key in written.info for key in LOCATION_PACKETS)
    if left:  # never expected: refuse rather than keep a location
        raise Problem(422, "Location data kept", f"{name}: its location data would remain.")


# Office files.

OOXML_PARTS: dict[str, UploadType] = {
    "word/document.xml": "docx",
    "xl/workbook.xml": "xlsx",
    "ppt/presentation.xml": "pptx",
}
ODF_TYPES: dict[str, UploadType] = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
}
# Parts that run code or fetch it when the file is opened.
ACTIVE_PARTS = re.compile(r"(^|/)(vbaProject\.bin|activeX/|embeddings/oleObject)|^Basic/", re.I)
RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b[^>]*>", re.I)
FETCHING = re.compile(rb"/(?:oleObject|attachedTemplate|subDocument|frame)\"", re.I)
EXTERNAL = re.compile(rb"TargetMode\s*=\s*[\"']External[\"']", re.I)
RATIO_FLOOR = MiB  # a small file is no bomb, however well it packs


def _archive(source: IO[bytes], size: int, name: str, policy: Policy) -> FileType:
    """The Office file an archive is, once its entries are within the limits."""
    try:
        with zipfile.ZipFile(source) as archive:
            entries = archive.infolist()
            _archive_within(entries, size, name, policy.limits)
            found = _office_type(archive, name, policy)
            _inactive(archive, entries, name)
            _unpack_all(archive, entries, name, policy.limits)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError) as error:
        raise Problem(422, "Damaged file", f"{name} cannot be opened: {error}") from None
    except (RuntimeError, NotImplementedError) as error:  # encrypted, or an unknown method
        raise Problem(422, "Cannot be checked", f"{name} cannot be opened: {error}") from None
    _within(size, found, name, policy)
    return found


def _archive_within(entries: list[zipfile.ZipInfo], size: int, name: str, limits: Limits) -> None:
    if len(entries) > limits.archive_entries:
        raise _bomb(name, f"it holds {len(entries)} files (at most {limits.archive_entries})")
    total = sum(entry.file_size for entry in entries)
    if total > limits.archive_bytes:
        raise _bomb(
            name, f"it unpacks to {_megabytes(total)} (at most {_megabytes(limits.archive_bytes)})"
        )
    if total > RATIO_FLOOR and total > limits.archive_ratio * size:
        raise _bomb(name, f"it unpacks to {total // size} times its size")
    for entry in entries:
        if entry.file_size > RATIO_FLOOR and (
            entry.file_size > limits.archive_ratio * max(entry.compress_size, 1)
        ):
            ratio = entry.file_size // max(entry.compress_size, 1)
            raise _bomb(name, f"its part {entry.filename[:80]} unpacks to {ratio} times its size")


def _bomb(name: str, why: str) -> Problem:
    return Problem(
        422,
        "Archive refused",
        f"{name} is not accepted: {why}. An Office file this packed is built to exhaust "
        "whoever opens it; save it again from the program that made it.",
    )


def _office_type(archive: zipfile.ZipFile, name: str, policy: Policy) -> FileType:
    names = set(archive.namelist())
    found: UploadType | None = None
    if "mimetype" in names:
        with archive.open("mimetype") as entry:
            declared = entry.read(100).decode("ascii", "replace").strip()
        found = ODF_TYPES.get(declared)
        said = f"an OpenDocument file ({declared})"
    elif "[Content_Types].xml" in names:
        found = next((kind for part, kind in OOXML_PARTS.items() if part in names), None)
        said = "an Office file of another kind"
    else:
        said = "a ZIP archive"
    if found is None or not policy.accepts(TYPES[found]):
        raise _not_accepted(name, TYPES[found].label if found else said, policy)
    file_type = TYPES[found]
    _agrees(file_type, declared_extension(name), name)
    return file_type


def _inactive(archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str) -> None:
    for entry in entries:
        if ACTIVE_PARTS.search(entry.filename):
            raise _active(name, "macros or embedded programs")
        if entry.filename.endswith(".rels") and entry.file_size < MiB:
            with archive.open(entry) as part:
                relations = part.read()
            for relation in RELATIONSHIP.findall(relations):
                if EXTERNAL.search(relation) and FETCHING.search(relation):
                    raise _active(name, "a link that fetches content from elsewhere when opened")


def _active(name: str, what: str) -> Problem:
    return Problem(
        415,
        "Active content not accepted",
        f"{name} carries {what}; save it as a plain document (DOCX, XLSX, PPTX, ODT, ODS).",
    )


def _unpack_all(
    archive: zipfile.ZipFile, entries: list[zipfile.ZipInfo], name: str, limits: Limits
) -> None:
    """Read every entry through: its CRC is checked, and what it really unpacks to counts,
    whatever sizes the archive's directory claims."""
    total = 0
    for entry in entries:
        with archive.open(entry) as part:
            while chunk := part.read(CHUNK):
                total += len(chunk)
                if total > limits.archive_bytes:
                    raise _bomb(name, f"it unpacks to more than {_megabytes(limits.archive_bytes)}")


# PDFs.

# Action types a PDF may not carry: code, programs, data pulled in, Flash.
REFUSED_ACTIONS = {"/JavaScript", "/Launch", "/ImportData", "/RichMediaExecute", "/GoToE"}
# Keys whose mere presence means code or actions run without a click.
REFUSED_KEYS = {"/JS", "/JavaScript", "/AA", "/XFA", "/Launch"}


def _name_pattern(word: str) -> str:
    """A PDF name as it may be spelled in the bytes: any letter may be written `#xx`."""
    return "".join(f"(?:{c}|#{ord(c) >> 4:x}[{ord(c) & 15:x}{ord(c) & 15:X}])" for c in word)


# Long names found anywhere in the file's own bytes, whatever the parser made of it.
RAW_NAMES = re.compile(
    rb"/(?:" + "|".join(_name_pattern(w) for w in ("JavaScript", "Launch")).encode() + rb")"
    rb"(?=[\s/<>\[\]()%]|$)"
)


def _pdf(source: IO[bytes], name: str) -> None:
    data = source.read()
    if RAW_NAMES.search(data):
        raise _scripted(name, "JavaScript or a program to launch")
    reason = _pdf_reason(data, name)
    if reason:
        raise _scripted(name, reason)


def _pdf_reason(data: bytes, name: str) -> str | None:
    """Why a PDF is refused, from every object pypdf finds in it; None if it may stay."""
    from pypdf import PdfReader
    from pypdf.generic import IndirectObject

    if b"startxref" not in data[-2048:]:
        # Without a pointer to its table pypdf gives up; with a wrong one it reads the
        # objects as a viewer would, from the bytes.
        data += b"\nstartxref\n0\n%%EOF\n"
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Problem(
                422,
                "Cannot be checked",
                f"{name} is protected by a password; save it without one and try again.",
            )
        numbers = [(num, gen) for gen, entries in reader.xref.items() for num in entries]
        numbers += [(num, 0) for num in reader.xref_objStm]
        if not numbers:
            raise Problem(422, "Not a PDF", f"{name} holds no PDF objects.")
        for num, gen in numbers:
            found = _refused_in(reader.get_object(IndirectObject(num, gen, reader)), 0)
            if found:
                return found
        return _refused_in(reader.trailer, 0)
    except Problem:
        raise
    except Exception as error:  # pypdf raises many kinds on a malformed file
        raise Problem(422, "Not a PDF", f"{name} cannot be read as a PDF: {error}") from None


def _refused_in(value: Any, depth: int) -> str | None:
    """What refuses a PDF object, looking into its direct dictionaries and arrays (each
    indirect object is looked at on its own)."""
    from pypdf.generic import ArrayObject, DictionaryObject

    if depth > 50:
        return "objects nested too deeply to check"
    if isinstance(value, DictionaryObject):
        for key in REFUSED_KEYS:
            if key in value:
                return f"an entry {key}"
        action = _direct(value.get("/S"))
        if action in REFUSED_ACTIONS:
            return f"a {action[1:]} action"
        opening = _direct(value.get("/OpenAction"))
        if isinstance(opening, DictionaryObject):  # an action, not a page to open at
            return "an action run when it is opened (/OpenAction)"
        for item in value.values():
            found = _refused_in(item, depth + 1)
            if found:
                return found
    elif isinstance(value, ArrayObject):
        for item in value:
            found = _refused_in(item, depth + 1)
            if found:
                return found
    return None


def _direct(value: Any) -> Any:
    from pypdf.generic import IndirectObject

    return value.get_object() if isinstance(value, IndirectObject) else value


def _scripted(name: str, what: str) -> Problem:
    return Problem(
        422,
        "PDF with active content",
        f"{name} carries {what}; such a PDF can run code in the reader's viewer. Print it "
        "to PDF again, or export it without scripts, and try again.",
    )


# Text.

CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# What makes a browser, or a person double-clicking, take text for a page or a picture.
MARKUP = re.compile(
    r"<(?:!doctype|!--|\?xml|html|head|body|script|iframe|frame|svg|math|object|embed|applet"
    r"|meta|link|style|form|img|image|base|title|table|div|font|h1|a|b|p|br)(?=[\s>/])",
    re.I,
)


def _text(data: bytes, file_type: FileType, name: str) -> None:
    try:
        text = data.removeprefix(b"\xef\xbb\xbf").decode("utf-8")
    except UnicodeDecodeError:
        guess = filetype.guess(data[:8192])
        said = guess.mime if guess else "not UTF-8 text"
        raise Problem(
            415, "Not text", f"{name}: its content is {said}; save it as UTF-8 {file_type.label}."
        ) from None
    if CONTROL.search(text):
        raise Problem(415, "Not text", f"{name}: its content is binary, not {file_type.label}.")
    if MARKUP.search(text):
        raise Problem(
            415,
            "Not text",
            f"{name}: its content is HTML, SVG or XML markup, not {file_type.label}; "
            "a web page or a drawing is not accepted as text.",
        )


# Copies.


def refusal_of_copy(data: bytes, media_type: str) -> str | None:
    """Why a copy of a file published elsewhere may not be served as `media_type`: its
    content is something else, or a picture still says where it was taken (a file
    attached before the pipeline cleaned pictures, or a forged record). None if it may."""
    known = BY_MEDIA_TYPE.get(media_type)
    guess = filetype.guess(data[:8192])
    guessed = GUESSED.get(guess.mime) if guess is not None else None
    if known is None:
        return f"{media_type} is not a type files are published as"
    if known.family == "text":
        agrees = _is_text(data, known)
    elif known.family == "office":
        agrees = data.startswith(ZIP) and (guessed is None or guessed.family == "office")
    else:
        agrees = guessed == known
    if not agrees:
        return f"its content is {guess.mime if guess else 'unknown'}, not {media_type}"
    if known.family == "image" and _carries_location(data, known):
        return "the picture still carries where it was taken"
    return None


def _is_text(data: bytes, file_type: FileType) -> bool:
    try:
        _text(data, file_type, "the copy")
    except Problem:
        return False
    return True


def _carries_location(data: bytes, file_type: FileType) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data), formats=[PILLOW_FORMATS[file_type.name]]) as image:
            return _has_location(image, image.getexif())
    except (UnidentifiedImageError, OSError, ValueError, EOFError, Image.DecompressionBombError):
        return True  # what cannot be read cannot be vouched for


# What an upload route answers when it refuses a file, for its OpenAPI document.
REFUSALS: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": {"application/problem+json": {}}}
    for status, description in (
        (413, "Too large: the file, or the pixels of a picture"),
        (415, "A type this path does not take, text that is not text, or active content"),
        (422, "Not what its name says, unreadable, an archive bomb, or a PDF that acts"),
    )
}


# The way out.

SHOWN_FAMILIES = {"image", "pdf"}


def served_media_type(media_type: str) -> str:
    """The Content-Type a stored file is served with: text says its charset, and a type
    outside the vocabulary (a legacy row, a forged record) is served as bytes."""
    known = BY_MEDIA_TYPE.get(media_type)
    if known is None:
        return "application/octet-stream"
    if known.family == "text":
        return f"{known.media_type}; charset=utf-8"
    return known.media_type


def served_headers(media_type: str, filename: str) -> dict[str, str]:
    """Headers for a stored file: never sniffed; only pictures and PDFs open in the
    browser, everything else downloads."""
    known = BY_MEDIA_TYPE.get(media_type)
    shown = known is not None and known.family in SHOWN_FAMILIES
    disposition = "inline" if shown else "attachment"
    return {
        "Content-Type": served_media_type(media_type),
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(display_name(filename))}",
        "X-Content-Type-Options": "nosniff",
    }
