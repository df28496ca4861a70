from celery import shared_task

from notifications.services import deliveries_due_ids, delivery_send


@shared_task(name="notifications.tasks.send_deliveries", acks_late=True)
def send_deliveries(delivery_ids: list[int]) -> None:
    for delivery_id in delivery_ids:
        outcome = delivery_send(delivery_id=delivery_id)
        if outcome is None or outcome.next_attempt_at is None:
            continue
        # A transient failure: come back then. With eager Celery (no broker) a countdown would
        # run at once, so leave it to the sweep.
        if not send_deliveries.app.conf.task_always_eager:
            send_deliveries.apply_async(([delivery_id],), eta=outcome.next_attempt_at)


@shared_task(name="notifications.tasks.send_due_deliveries")
def send_due_deliveries() -> int:
    """Beat safety net: sends deliveries whose retry time came or whose task was lost."""
    due = deliveries_due_ids()
    for delivery_id in due:
        delivery_send(delivery_id=delivery_id)
    return len(due)
