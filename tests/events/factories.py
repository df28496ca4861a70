import factory
from factory.django import DjangoModelFactory

from events.models import EventType, WebhookSubscription


class WebhookSubscriptionFactory(DjangoModelFactory[WebhookSubscription]):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Subscriber {n}")
    url = "https://hooks.example.com/coachline"
    event_types = factory.LazyFunction(lambda: [EventType.COURSE_COMPLETED.value])
    secret = factory.Sequence(lambda n: f"whsec_test_{n}")
