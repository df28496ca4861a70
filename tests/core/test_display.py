"""core.display.choice_label: get_FOO_display()'s answer without its cost."""

from django.utils import translation

from coaching.models import CoachingSession, SessionKind, SessionStatus
from core.display import choice_label


def test_choice_label_is_the_models_display_in_the_active_language():
    session = CoachingSession(kind=SessionKind.ROLE_PLAY, status=SessionStatus.NO_SHOW)
    for language in ("en", "de"):
        with translation.override(language):
            assert choice_label(SessionKind, session.kind) == session.get_kind_display()
            assert choice_label(SessionStatus, session.status) == session.get_status_display()
    with translation.override("de"):
        german = choice_label(SessionStatus, SessionStatus.NO_SHOW)
    with translation.override("en"):
        assert choice_label(SessionStatus, SessionStatus.NO_SHOW) == "No-show"
    assert german != "No-show"


def test_a_value_outside_the_choices_is_shown_as_stored():
    session = CoachingSession(kind="séance-x")
    assert choice_label(SessionKind, session.kind) == "séance-x" == session.get_kind_display()
