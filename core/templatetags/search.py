from django import template
from django.utils.safestring import SafeString

from core.search import highlighted

register = template.Library()


@register.filter
def highlight(snippet: object) -> SafeString:
    """A search snippet as safe HTML, the matched words in <mark> (core.search.highlighted)."""
    return highlighted(snippet if isinstance(snippet, str) else None)
