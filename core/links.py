"""Links to many objects of one kind on one page, reversed once.

reverse() resolves the pattern on every call; on a list of a hundred rows with a link or two
each, that cost more than the rest of the row (bench/pages.py). `link_by_id(name)` reverses
the URL once with a marker for the id and returns a function that fills in each row's id.
"""

from collections.abc import Callable

from django.urls import reverse

_ID_MARK = 918273645  # an id no test or demo row has; it only stands in for the real one


def link_by_id(name: str) -> Callable[[int], str]:
    """For a URL pattern whose only argument is an integer id (`<int:pk>`)."""
    pattern = reverse(name, args=[_ID_MARK])
    head, tail = pattern.split(str(_ID_MARK))
    return lambda pk: f"{head}{int(pk)}{tail}"
