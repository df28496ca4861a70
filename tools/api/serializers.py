from typing import Any

from rest_framework import serializers

from tools.models import ToolCategory, ToolPricing


class ToolSeatRowSerializer(serializers.Serializer[Any]):
    """Documentation only: rows are checked by tools.services.tool_row_parse."""

    email = serializers.EmailField(required=False, help_text="a person's seat; or give team")
    team = serializers.CharField(required=False, help_text="a whole team's seat, by team name")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)


class ToolBulkRowSerializer(serializers.Serializer[Any]):
    """Documentation only: rows are checked by tools.services.tool_row_parse."""

    name = serializers.CharField(help_text="the tool's key: a row with a known name updates it")
    category = serializers.ChoiceField(choices=ToolCategory.choices)
    pricing = serializers.ChoiceField(choices=ToolPricing.choices)
    monthly_cost = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        help_text="per seat and month (per_seat) or for the whole tool per month (flat)",
    )
    currency = serializers.CharField(help_text="ISO 4217")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField(required=False, allow_null=True)
    seats = ToolSeatRowSerializer(
        many=True, required=False, help_text="the tool's full list of seats; replaces the stored"
    )
