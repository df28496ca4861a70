from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request


def bulk_rows(request: Request) -> list[Any]:
    """The body of a bulk endpoint: a JSON array (or {"rows": [...]}) of objects."""
    data = request.data
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list):
        raise ValidationError({"": ["Send a JSON array of rows."]})
    return data
