"""Authors' Markdown to safe HTML, and video links to embeds we build ourselves.

Authors are trusted to write content, not HTML: whatever the Markdown produces (it passes raw HTML
through) is cleaned by nh3 against an allow-list, so no script, inline handler, style or
`javascript:` URL reaches a learner's browser. Video embeds are never author HTML: we parse the
provider and the video id out of a link and write the iframe from a fixed template.
"""

import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs, urlsplit

import markdown
import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "dl", "dt", "em",
    "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "mark", "ol", "p", "pre", "s",
    "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "td": {"align"},
    "th": {"align", "scope"},
    "ol": {"start"},
}
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags={"script", "style"},
    attributes=_ATTRIBUTES,
    url_schemes={"http", "https", "mailto"},
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
)
_EXTENSIONS = ["extra", "sane_lists", "smarty"]


@lru_cache(maxsize=1024)
def markdown_to_html(text: str) -> str:
    """Sanitised HTML for a Markdown text. Cached: lessons are read far more than written."""
    if not text.strip():
        return ""
    # A fresh Markdown instance per call: instances keep state between conversions.
    html = markdown.Markdown(extensions=_EXTENSIONS, output_format="html").convert(text)
    # Headings in lessons sit under the page's own h1.
    html = re.sub(r"<(/?)h1\b", r"<\1h2", html)
    return _CLEANER.clean(html)


@dataclass(frozen=True)
class VideoEmbed:
    provider: str
    video_id: str

    @property
    def src(self) -> str:
        return _EMBED_SRC[self.provider].format(id=self.video_id)

    @property
    def provider_label(self) -> str:
        return _PROVIDER_LABELS[self.provider]


_EMBED_SRC = {
    "youtube": "https://www.youtube-nocookie.com/embed/{id}",
    "vimeo": "https://player.vimeo.com/video/{id}",
    "loom": "https://www.loom.com/embed/{id}",
    "wistia": "https://fast.wistia.net/embed/iframe/{id}",
}
_PROVIDER_LABELS = {"youtube": "YouTube", "vimeo": "Vimeo", "loom": "Loom", "wistia": "Wistia"}
VIDEO_HOSTS = ("YouTube", "Vimeo", "Loom", "Wistia")

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")
_VIMEO_ID = re.compile(r"^[0-9]{3,12}$")
_LOOM_ID = re.compile(r"^[0-9a-f]{32}$")
_WISTIA_ID = re.compile(r"^[a-z0-9]{10}$")


def video_embed_parse(url: str) -> VideoEmbed | None:
    """The embed for a link to an allowed host, or None for anything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or parts.username or parts.password:
        return None
    host = (parts.hostname or "").lower()
    host = host.removeprefix("www.").removeprefix("m.")
    segments = [s for s in parts.path.split("/") if s]
    candidate: tuple[str, str] | None = None
    if host in ("youtube.com", "youtube-nocookie.com"):
        if segments == ["watch"]:
            candidate = ("youtube", parse_qs(parts.query).get("v", [""])[0])
        elif len(segments) == 2 and segments[0] in ("embed", "shorts", "live", "v"):
            candidate = ("youtube", segments[1])
    elif host == "youtu.be" and len(segments) == 1:
        candidate = ("youtube", segments[0])
    elif host == "vimeo.com" and segments:
        candidate = ("vimeo", segments[-1] if segments[0] == "channels" else segments[0])
    elif host == "player.vimeo.com" and len(segments) == 2 and segments[0] == "video":
        candidate = ("vimeo", segments[1])
    elif host == "loom.com" and len(segments) == 2 and segments[0] in ("share", "embed"):
        candidate = ("loom", segments[1])
    elif host.endswith(".wistia.com") and len(segments) == 2 and segments[0] == "medias":
        candidate = ("wistia", segments[1])
    elif host == "fast.wistia.net" and segments[:2] == ["embed", "iframe"] and len(segments) == 3:
        candidate = ("wistia", segments[2])
    if candidate is None:
        return None
    provider, video_id = candidate
    pattern = {"youtube": _YOUTUBE_ID, "vimeo": _VIMEO_ID, "loom": _LOOM_ID, "wistia": _WISTIA_ID}
    if not pattern[provider].fullmatch(video_id):
        return None
    return VideoEmbed(provider=provider, video_id=video_id)
