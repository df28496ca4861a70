from typing import Any

from rest_framework import serializers

from accounts.models import User
from accounts.roles import Role

# A string, not an enum of the ~600 zone names: generators choke on that, and the list changes
# with each tz database release.
TIME_ZONE_HELP = "An IANA time zone name, e.g. Europe/Berlin or America/Chicago."


class UserOutputSerializer(serializers.ModelSerializer[User]):
    team = serializers.CharField(source="team.name", default=None, allow_null=True)
    manager_email = serializers.EmailField(source="manager.email", default=None, allow_null=True)
    time_zone = serializers.CharField(help_text=TIME_ZONE_HELP)
    coach_emails = serializers.SerializerMethodField()
    crm_ids = serializers.SerializerMethodField()
    # The language the person reads: their choice, else the site's (a person who never chose
    # follows their browser on pages; the API keeps answering en or de as before).
    language = serializers.ChoiceField(
        source="message_language", choices=[("en", "English"), ("de", "Deutsch")], read_only=True
    )

    class Meta:
        model = User
        fields = [
            "id",
            "email",
            "full_name",
            "role",
            "team",
            "manager_email",
            "coach_emails",
            "hire_date",
            "time_zone",
            "language",
            "is_active",
            "crm_ids",
        ]

    def get_coach_emails(self, user: User) -> list[str]:
        return sorted(link.coach.email for link in user.coach_links.all())

    def get_crm_ids(self, user: User) -> dict[str, str]:
        return {i.source: i.owner_id for i in user.crm_identities.all()}


class UserBulkRowSerializer(serializers.Serializer[Any]):
    """Documentation only: the bulk endpoint validates rows itself, row by row."""

    email = serializers.EmailField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    team = serializers.CharField(required=False, allow_null=True)
    manager_email = serializers.EmailField(required=False, allow_null=True)
    coach_email = serializers.EmailField(required=False, allow_null=True)
    hire_date = serializers.DateField(required=False, allow_null=True)
    time_zone = serializers.CharField(required=False, help_text=TIME_ZONE_HELP)
    crm_ids = serializers.DictField(child=serializers.CharField(), required=False)
