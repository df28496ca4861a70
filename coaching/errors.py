"""Errors the coaching services raise for the edges (forms, API) to translate.

Bad input is a django ValidationError with a message per field (400 in the API, field errors in
forms). A double booking is a SessionConflict (409), which names the session in the way.
"""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accounts.models import User
from coaching.models import CoachingSession


class SessionConflict(Exception):
    def __init__(self, *, session: CoachingSession, person: User) -> None:
        self.session = session
        self.person = person
        super().__init__(self.message)

    @property
    def message(self) -> str:
        start = timezone.localtime(self.session.start)
        end = timezone.localtime(self.session.end)
        return _(
            "%(person)s is already booked from %(start)s to %(end)s "
            "(session %(id)s: %(kind)s, %(coach)s with %(rep)s)."
        ) % {
            "person": self.person.full_name,
            "start": f"{date_format(start, 'DATE_FORMAT')} {date_format(start, 'H:i')}",
            "end": date_format(end, "H:i"),
            "id": self.session.pk,
            "kind": self.session.get_kind_display(),
            "coach": self.session.coach.full_name,
            "rep": self.session.rep.full_name,
        }

    def as_dict(self) -> dict[str, object]:
        return {
            "detail": self.message,
            "conflicting_session": {
                "id": self.session.pk,
                "start": self.session.start.isoformat(),
                "end": self.session.end.isoformat(),
                "coach_id": self.session.coach_id,
                "rep_id": self.session.rep_id,
                "person_id": self.person.pk,
            },
        }
