"""What every edit of training content shares: validate, then save; move an item up or down;
keep positions dense (0, 1, 2, ...) after every change."""

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from training.models import (
    Lesson,
    Question,
)


def save_validated(obj: Any, *, exclude: Sequence[str] = ()) -> None:
    obj.full_clean(exclude=list(exclude))
    obj.save()


def moved(items: list[Any], pk: int, direction: str) -> list[Any]:
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Move up or down.")]})
    index = next((i for i, item in enumerate(items) if item.pk == pk), None)
    if index is None:
        return items
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    return items


def renumber(items: Sequence[Lesson | Question]) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            type(item).objects.filter(pk=item.pk).update(position=position)
            item.position = position
