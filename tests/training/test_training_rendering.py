import pytest

from training.rendering import markdown_to_html, video_embed_parse


@pytest.mark.parametrize(
    "markdown",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        '<p onclick="alert(1)">hi</p>',
        '<iframe src="https://evil.example"></iframe>',
        '<div style="background:url(javascript:alert(1))">x</div>',
        "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    ],
)
def test_markdown_with_scripts_or_handlers_is_rendered_harmless(markdown):
    html = markdown_to_html(markdown).lower()

    assert "<script" not in html
    assert "javascript:" not in html
    assert "onerror" not in html and "onclick" not in html
    assert "<iframe" not in html
    assert "style=" not in html
    assert "data:" not in html


def test_markdown_keeps_the_formatting_lessons_need():
    html = markdown_to_html(
        "# Title\n\nSome **bold** and a [link](https://example.com).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n> quote\n\n- one\n- two"
    )

    assert "<h2>Title</h2>" in html  # the page has its own h1
    assert "<strong>bold</strong>" in html
    assert '<a href="https://example.com" rel="noopener noreferrer nofollow">link</a>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert "<blockquote>" in html
    assert "<li>one</li>" in html


def test_empty_markdown_renders_nothing():
    assert markdown_to_html("  \n") == ""


@pytest.mark.parametrize(
    ("url", "provider", "src"),
    [
        (
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10",
            "youtube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        (
            "https://youtu.be/dQw4w9WgXcQ",
            "youtube",
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
        ),
        ("https://vimeo.com/76979871", "vimeo", "https://player.vimeo.com/video/76979871"),
        (
            "https://www.loom.com/share/0123456789abcdef0123456789abcdef",
            "loom",
            "https://www.loom.com/embed/0123456789abcdef0123456789abcdef",
        ),
        (
            "https://acme.wistia.com/medias/abcde12345",
            "wistia",
            "https://fast.wistia.net/embed/iframe/abcde12345",
        ),
    ],
)
def test_video_links_on_allowed_hosts_become_embeds(url, provider, src):
    embed = video_embed_parse(url)

    assert embed is not None
    assert (embed.provider, embed.src) == (provider, src)


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/watch?v=dQw4w9WgXcQ",
        "https://youtube.com.evil.example/watch?v=dQw4w9WgXcQ",
        "javascript:alert(1)",
        'https://www.youtube.com/watch?v="><script>',
        "https://user:pw@youtube.com/watch?v=dQw4w9WgXcQ",
        "https://vimeo.com/not-a-number",
        "ftp://youtu.be/dQw4w9WgXcQ",
        "",
    ],
)
def test_other_video_links_are_refused(url):
    assert video_embed_parse(url) is None
