from celery import shared_task

from events.services import deliveries_overdue_ids, deliveries_prune, webhook_delivery_attempt


@shared_task(name="events.tasks.deliver_webhook", acks_late=True)
def deliver_webhook(delivery_id: int) -> None:
    outcome = webhook_delivery_attempt(delivery_id=delivery_id)
    if outcome is None or outcome.next_attempt_at is None:
        return
    # A transient failure: come back at the scheduled time. With eager Celery (no broker) a
    # countdown would run at once and find the delivery not yet due, so leave it to the sweeper.
    if not deliver_webhook.app.conf.task_always_eager:
        deliver_webhook.apply_async((delivery_id,), eta=outcome.next_attempt_at)


@shared_task(name="events.tasks.send_due_deliveries")
def send_due_deliveries() -> int:
    """Beat safety net: re-queues deliveries whose task was lost (a worker died, Redis flushed)."""
    due = deliveries_overdue_ids()
    for delivery_id in due:
        deliver_webhook.delay(delivery_id)
    deliveries_prune()
    return len(due)
