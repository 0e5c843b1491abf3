"""The municipality Meria serves, as data: one profile per installation.

Georgia has 64 municipalities and any of them may run Meria as its own, so no code names
one. A profile holds what texts, badges, mails, feeds, calendars and Akoma Ntoso
documents say of the municipality: its names in Georgian and English with the Georgian
grammatical forms sentences need (ახმეტა, ახმეტის, ახმეტაში), the municipality and its
city hall by name, a coat of arms as SVG, colours, address and contacts, the public
domain and the e-mail sender, the Akoma Ntoso/FRBR identifiers, the issuers of acts and
the social links. It is written as TOML (deploy/municipalities/<code>.toml).

Where it lives, and how every process gets it (the design):

- The profile is kept on the bus, in the JetStream key-value bucket `meria_municipality`
  under the key `profile`, as JSON. Every process already reaches NATS, so the one copy
  reaches all of them, on one server or many, with no file to distribute.
- It is set at installation (`meria init --municipality FILE`, or `meria municipality set
  FILE`; `meria municipality show` prints it) and by an administrator on the portal
  (`/admin/municipality`, audit-trailed). On NATS only the portal and the `installer`
  user (the command line) may write the bucket; every other user may only read it
  (meria/bus/users.py).
- Every process reads it as it starts and then watches the bucket, so an edit shows
  without a restart (`current()` answers the newest). A process that finds none refuses
  to start: `meria run` exits with one line naming the command to run; until then its
  readiness says so.

Everything that renders takes the municipality from `current()`; the test suite installs
the Akhmeta profile and one of its stories installs Telavi's and finds no trace of
Akhmeta anywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import tomllib
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any, Final, Literal

from defusedxml import ElementTree as SafeElementTree
from defusedxml.common import DefusedXmlException
from markupsafe import Markup
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    ValidationError,
    field_validator,
)

from meria.logging import get_logger

log = get_logger(__name__)

BUCKET: Final = "meria_municipality"
KEY: Final = "profile"
SET_COMMAND: Final = "meria municipality set FILE"
ROOT: Final = Path(__file__).resolve().parent.parent
PROFILES: Final = ROOT / "deploy" / "municipalities"

Language = Literal["ka", "en"]

SVG: Final = "http://www.w3.org/2000/svg"
MAX_SVG_BYTES: Final = 64 * 1024
# What a coat of arms is drawn with: shapes, paths, text, gradients, groups. Nothing that
# runs (script), embeds another document (foreignObject, image, use of a file) or
# animates.
SVG_ELEMENTS: Final = frozenset(
    {
        "svg",
        "g",
        "defs",
        "title",
        "desc",
        "path",
        "rect",
        "circle",
        "ellipse",
        "line",
        "polyline",
        "polygon",
        "text",
        "tspan",
        "linearGradient",
        "radialGradient",
        "stop",
        "clipPath",
        "mask",
        "pattern",
        "symbol",
        "use",
    }
)
URL_REFERENCE = re.compile(r"url\(\s*['\"]?\s*(?!#)", re.IGNORECASE)


class MunicipalityError(Exception):
    """No profile is installed, or one cannot be read; the message is one line."""


def _colour(value: str) -> str:
    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
        raise ValueError(f"{value!r} is not a colour written as #rrggbb")
    return value.lower()


Colour = Annotated[str, AfterValidator(_colour)]
Slug = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")]


def sanitised_svg(text: str) -> str:
    """The coat of arms as SVG fit to inline in a page: one `<svg>` root, only drawing
    elements, no script, event handler or reference outside the document. Refuses
    (ValueError, saying what) rather than quietly dropping parts of a drawing; comments
    and processing instructions go."""
    if len(text.encode()) > MAX_SVG_BYTES:
        raise ValueError(f"the coat of arms is larger than {MAX_SVG_BYTES // 1024} KiB")
    try:
        root = SafeElementTree.fromstring(text, forbid_dtd=True)
    except DefusedXmlException as error:
        raise ValueError(f"the coat of arms may not declare entities or a DTD ({error})") from None
    except ElementTree.ParseError as error:
        raise ValueError(f"the coat of arms is not well-formed XML: {error}") from None
    if root.tag != f"{{{SVG}}}svg":
        raise ValueError("the coat of arms must be an <svg> element in the SVG namespace")
    for element in root.iter():
        namespace, _, name = str(element.tag).rpartition("}")
        if namespace.lstrip("{") != SVG or name not in SVG_ELEMENTS:
            raise ValueError(f"the coat of arms may not hold <{name}>")
        for attribute, value in element.attrib.items():
            local = attribute.rpartition("}")[2]
            if local.lower().startswith("on"):
                raise ValueError(f"the coat of arms may not carry an event handler ({local})")
            if local == "href" and not value.startswith("#"):
                raise ValueError("the coat of arms may only refer to its own parts (href='#…')")
            if URL_REFERENCE.search(value):
                raise ValueError("the coat of arms may only refer to its own parts (url(#…))")
    # Written again by lxml, which keeps the drawing's own prefixes (the standard library
    # would rename them through its process-wide registry, which the sitemap uses).
    from lxml import etree

    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, remove_comments=True, remove_pis=True
    )
    return etree.tostring(etree.fromstring(text.encode(), parser), encoding="unicode")


class Forms(BaseModel):
    """A place's name as Georgian sentences need it; in English the forms are one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    nominative: str = Field(min_length=1, max_length=100, description="ახმეტა")
    genitive: str = Field(min_length=1, max_length=100, description="ახმეტის")
    locative: str = Field(min_length=1, max_length=100, description="ახმეტაში (in …)")
    municipality: str = Field(min_length=1, max_length=200, description="the municipality")
    city_hall: str = Field(min_length=1, max_length=200, description="its city hall (მერია)")


class Names(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ka: Forms
    en: Forms


class Colours(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    primary: Colour
    accent: Colour


class Bilingual(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ka: str = Field(min_length=1, max_length=300)
    en: str = Field(min_length=1, max_length=300)

    def __call__(self, language: str) -> str:
        return self.en if language == "en" else self.ka


class AkomaNtoso(BaseModel):
    """The FRBR names of the municipality's acts: /akn/<country>-<locality>/act/…"""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: Literal["ge"] = "ge"
    locality: Slug
    namespace: HttpUrl = Field(description="Meria's own elements in the documents")


class Issuer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Slug
    ka: str = Field(min_length=1, max_length=200)
    en: str = Field(min_length=1, max_length=200)


class SocialLink(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=60)
    url: HttpUrl


class Municipality(BaseModel):
    """One municipality's profile (see the module's docstring)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: Slug
    names: Names
    coat_of_arms: str = Field(description="SVG, sanitised")
    colours: Colours
    address: Bilingual
    phone: str = Field(pattern=r"^\+?[0-9 ()-]{5,30}$")
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    domain: str = Field(pattern=r"^[a-z0-9-]+(\.[a-z0-9-]+)+$")
    mail_sender: str = Field(
        pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", description="the address mail is sent from"
    )
    akoma_ntoso: AkomaNtoso
    issuers: tuple[Issuer, ...] = Field(min_length=1)
    social: tuple[SocialLink, ...] = ()
    # Beyond its own name, what finds the municipality in the press: its villages and
    # regions, as stems (თუშეთ finds თუშეთი, თუშეთში) and in English.
    press_keywords: tuple[Annotated[str, Field(min_length=2, max_length=60)], ...] = ()

    @field_validator("coat_of_arms")
    @classmethod
    def _safe_svg(cls, value: str) -> str:
        return sanitised_svg(value)

    # What templates and texts ask of it.

    def forms(self, language: str) -> Forms:
        return self.names.en if language == "en" else self.names.ka

    def name(self, language: str = "ka") -> str:
        return self.forms(language).nominative

    def municipality(self, language: str = "ka") -> str:
        return self.forms(language).municipality

    def city_hall(self, language: str = "ka") -> str:
        return self.forms(language).city_hall

    def both(self, what: Callable[[str], str]) -> str:
        """A line in both languages, Georgian first: ახმეტის მერია · Akhmeta City Hall."""
        return f"{what('ka')} · {what('en')}"

    @property
    def coat_of_arms_svg(self) -> Markup:
        """The coat of arms to inline in a page: sanitised when the profile was read."""
        return Markup(self.coat_of_arms)

    def sender(self, department_ka: str) -> str:
        """A `From:` header: the city hall's department, at the profile's sender address."""
        return f"{self.city_hall('ka')} — {department_ka} <{self.mail_sender}>"

    def uid(self, local: str) -> str:
        """An iCalendar UID of this installation (`event-7@akhmeta.meria`), the same as
        long as the municipality's code is."""
        return f"{local}@{self.code}.meria"

    def prodid(self, product: str) -> str:
        return f"-//{self.city_hall('en')}//{product}//KA"

    def keywords(self) -> list[str]:
        """Words that find the municipality in a text: its Georgian name's stem (so every
        case ending is found), its English name, and its press keywords."""
        from meria.georgian import stem

        return [stem(self.name("ka")), self.name("en"), *self.press_keywords]

    def issuer(self, code: str) -> Issuer | None:
        return next((issuer for issuer in self.issuers if issuer.code == code), None)


def to_toml(profile: Municipality) -> str:
    """The profile as TOML, as `parse` reads it back (what the portal's form shows)."""
    import tomli_w

    return tomli_w.dumps(profile.model_dump(mode="json"), multiline_strings=True)


def differences(before: Municipality | None, after: Municipality) -> dict[str, Any]:
    """What changed, field by field: {"names.en.city_hall": {"before": …, "after": …}}."""

    def flat(data: Any, prefix: str = "") -> dict[str, Any]:
        if isinstance(data, dict):
            found: dict[str, Any] = {}
            for key, value in data.items():
                found |= flat(value, f"{prefix}{key}.")
            return found
        return {prefix.rstrip("."): data}

    old = flat(before.model_dump(mode="json")) if before else {}
    new = flat(after.model_dump(mode="json"))
    return {
        key: {"before": old.get(key), "after": new.get(key)}
        for key in sorted(old.keys() | new.keys())
        if old.get(key) != new.get(key)
    }


def parse(text: str, source: str = "the profile") -> Municipality:
    """A profile from TOML text; MunicipalityError names the first thing wrong."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise MunicipalityError(f"{source} is not TOML: {error}") from None
    return from_data(data, source)


def from_data(data: Any, source: str = "the profile") -> Municipality:
    try:
        return Municipality.model_validate(data)
    except ValidationError as error:
        raise MunicipalityError(f"{source}: {describe(error)}") from None


def describe(error: ValidationError) -> str:
    """The first problem of a profile as a line: where, and what."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "profile"
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def load(path: Path) -> Municipality:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise MunicipalityError(f"cannot read {path}: {error.strerror or error}") from None
    return parse(text, str(path))


def bundled(code: str) -> Municipality:
    """A profile shipped in deploy/municipalities/ (Akhmeta, Telavi)."""
    return load(PROFILES / f"{code}.toml")


# The process's municipality: set when the profile is read from the bus, replaced when
# an administrator edits it.
_current: Municipality | None = None
_changes = 0


def current() -> Municipality:
    if _current is None:
        raise MunicipalityError(f"no municipality is installed; run `{SET_COMMAND}`")
    return _current


def install(profile: Municipality) -> bool:
    """Make `profile` this process's municipality (the bus watcher; tests); whether it
    changed anything."""
    global _current, _changes
    if profile == _current:
        return False
    _current = profile
    _changes += 1
    return True


def changes_seen() -> int:
    """How many times this process's municipality has changed: what shows it (a cached
    page) is out of date when this moves."""
    return _changes


class Current:
    """The municipality as templates see it (a Jinja global): always the newest profile,
    so an administrator's edit shows on the next page without a restart."""

    def __getattr__(self, name: str) -> Any:
        return getattr(current(), name)


# On the bus.


async def bucket(js: Any, *, create: bool = False) -> Any:
    """The key-value bucket; made when `create` and missing (only writers may)."""
    from nats.js.errors import BucketNotFoundError

    try:
        return await js.key_value(BUCKET)
    except BucketNotFoundError:
        if not create:
            raise MunicipalityError(
                f"no municipality is installed on the bus; run `{SET_COMMAND}`"
            ) from None
        return await js.create_key_value(bucket=BUCKET, history=5, description="The profile")


async def read(js: Any) -> Municipality:
    """The installed profile, or MunicipalityError naming the command to run."""
    from nats.js.errors import KeyNotFoundError

    kv = await bucket(js)
    try:
        entry = await kv.get(KEY)
    except KeyNotFoundError:
        raise MunicipalityError(
            f"no municipality is installed on the bus; run `{SET_COMMAND}`"
        ) from None
    return from_data_json(entry.value)


def from_data_json(value: bytes) -> Municipality:
    try:
        return Municipality.model_validate_json(value)
    except ValidationError as error:
        raise MunicipalityError(f"the installed profile: {describe(error)}") from None


async def write(js: Any, profile: Municipality) -> int:
    """Install `profile` for every process; returns its revision."""
    kv = await bucket(js, create=True)
    revision: int = await kv.put(KEY, profile.model_dump_json().encode())
    return revision


async def write_if_missing(js: Any, profile: Municipality) -> bool:
    """Install `profile` unless one is installed already (an administrator's edits stay)."""
    try:
        await read(js)
    except MunicipalityError:
        await write(js, profile)
        return True
    return False


async def changes(js: Any) -> AsyncIterator[Municipality]:
    """The installed profile, then each new one as it is written (a watch on the bucket)."""
    kv = await bucket(js)
    watcher = await kv.watch(KEY)
    try:
        async for entry in watcher:
            if entry is None or entry.value is None or entry.operation is not None:
                continue
            try:
                yield from_data_json(entry.value)
            except MunicipalityError:
                continue  # only written by validated writers; an unreadable one is skipped
    finally:
        with contextlib.suppress(Exception):
            await watcher.stop()


async def keep_current(
    js: Any,
    *,
    wait_seconds: float,
    on_missing: Callable[[str], None],
    on_installed: Callable[[Municipality, bool], None] = lambda *_: None,
) -> None:
    """Read the profile and follow every change to it. When none is installed, wait up to
    `wait_seconds` for one (an installation writes it as the stack comes up), then call
    `on_missing` once with the one-line reason, and keep looking."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    while True:
        try:
            profile = await read(js)
            on_installed(profile, install(profile))
        except MunicipalityError as error:
            if loop.time() >= deadline:
                on_missing(str(error))
                deadline = float("inf")
            await asyncio.sleep(0.5)
            continue
        except Exception as error:  # the bus is away: ask again once it is back
            log.warning("municipality.unreadable", error=str(error))
            await asyncio.sleep(1.0)
            continue
        try:
            async for profile in changes(js):
                on_installed(profile, install(profile))
        except Exception as error:
            log.warning("municipality.watch_ended", error=str(error))
            await asyncio.sleep(1.0)
