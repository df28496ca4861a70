from typing import Final

from rest_framework import serializers

from accounts.models import User
from accounts.user_rows import USER
from core.api.row_docs import row_doc_serializer

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


UserBulkRowSerializer: Final = row_doc_serializer(
    "UserBulkRowSerializer",
    __name__,
    USER,
    {
        "role": {"help_text": "default rep"},
        "team": {"help_text": "a team's name; created when new"},
        "time_zone": {"help_text": TIME_ZONE_HELP + " Default UTC."},
        "crm_ids": {"help_text": "{source: the CRM's owner id}"},
    },
    as_text=frozenset({"time_zone"}),
)
