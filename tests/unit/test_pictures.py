"""Photos and videos shown on the public site: alt text required, videos from allowed hosts
only, and public renditions that keep nothing of the original's metadata."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from pydantic import ValidationError

from meria.markup import from_markdown, looks_like_markdown
from meria.pictures import PhotoChoice, allowed_video, photo_refs
from meria.problems import Problem
from services.media.renditions import rendition

HOSTS = ["www.youtube-nocookie.com", "player.vimeo.com"]


def test_a_photo_without_georgian_alt_text_is_refused() -> None:
    with pytest.raises(ValidationError, match="no alt text"):
        PhotoChoice(item_id=3, alt_en="The mayor in the new square")
    with pytest.raises(ValidationError, match="no alt text"):
        PhotoChoice(item_id=3, alt_ka="   ")


def test_a_photo_chosen_twice_is_shown_once_with_its_words() -> None:
    chosen = {"item_id": 4, "alt_ka": "მერი ახალ სკვერში", "alt_en": "The mayor in the square"}
    [ref] = photo_refs([chosen, {**chosen, "alt_ka": "სხვა"}])
    assert ref.item_id == 4 and ref.alt.ka == "მერი ახალ სკვერში"
    assert ref.alt.en == "The mayor in the square"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.youtube.com/watch?v=1",
        "http://www.youtube-nocookie.com/embed/1",
        "https://evil@player.vimeo.com/video/1",
        "javascript:alert(1)",
    ],
)
def test_a_video_from_elsewhere_is_refused_naming_the_hosts_allowed(url: str) -> None:
    with pytest.raises(Problem) as refused:
        allowed_video(url, HOSTS)
    assert refused.value.status == 422
    assert "player.vimeo.com, www.youtube-nocookie.com" in (refused.value.detail or "")


def test_a_video_from_an_allowed_host_is_kept() -> None:
    url = "https://player.vimeo.com/video/76979871"
    assert allowed_video(f"  {url} ", HOSTS) == url
    assert allowed_video(None, HOSTS) is None


def test_a_rendition_is_narrower_upright_webp_without_metadata() -> None:
    original = Image.new("RGB", (1000, 600), "#7a1f2b")
    exif = Image.Exif()
    exif[0x010F] = "Canon"
    exif[0x0112] = 6  # the camera was turned: the picture stands 600 × 1000
    source = io.BytesIO()
    original.save(source, "JPEG", exif=exif)
    made = rendition(source.getvalue(), 480)
    with Image.open(io.BytesIO(made)) as picture:
        assert picture.format == "WEBP"
        assert picture.size == (480, 800)
        assert not picture.getexif() and "exif" not in picture.info
    assert b"Canon" not in made


def test_a_digest_written_in_markdown_is_recognised_and_rendered_with_its_links() -> None:
    text = "## პრესრელიზები\n\n- [ახალი ბაღი](https://example.ge/press-releases/4)\n"
    assert looks_like_markdown(text)
    assert not looks_like_markdown("<h2>პრესრელიზები</h2>")
    html = from_markdown(text)
    assert "<h2>პრესრელიზები</h2>" in html
    assert '<a href="https://example.ge/press-releases/4" rel="noopener noreferrer">' in html
