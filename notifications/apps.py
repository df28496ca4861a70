from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Telling people what happened: an in-app notification centre, and the same notice by email,
    Slack or Microsoft Teams as each person chooses per kind.

    It sits just above accounts (it needs people) and below training and coaching, which call
    `notifications.services.notify` from their own services. Every notice goes through that one
    function: it writes the in-app row and the deliveries in the caller's transaction, and the
    outbox sends them after commit.
    """

    name = "notifications"
    verbose_name = "Notifications"
