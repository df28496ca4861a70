from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from core.api.errors import PayloadTooLarge


def bulk_rows(request: Request, *, max_rows: int | None = None) -> list[Any]:
    """The body of a bulk endpoint: a JSON array (or {"rows": [...]}) of objects.

    More than `max_rows` rows are refused as a whole with 413, as deals bulk refuses a body
    over its byte limit: the caller splits the list.
    """
    data = request.data
    if isinstance(data, dict) and isinstance(data.get("rows"), list):
        data = data["rows"]
    if not isinstance(data, list):
        raise ValidationError({"": ["Send a JSON array of rows."]})
    if max_rows is not None and len(data) > max_rows:
        raise PayloadTooLarge(f"At most {max_rows} rows per request; split the list.")
    return data
