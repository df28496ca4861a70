from django.apps import AppConfig


class EventsConfig(AppConfig):
    """Events out: subscribers register URLs; domain events are delivered to them, signed.

    It sits just above core so that every app can emit events (course completed, session
    completed, commitment checked) without knowing who listens.
    """

    name = "events"
