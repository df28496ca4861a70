from celery import shared_task

from training.services import assignment_reminders_send


@shared_task(name="training.tasks.send_assignment_reminders")
def send_assignment_reminders() -> dict[str, int]:
    """Daily (config/celery.py): due-soon and overdue emails, each sent once per assignment."""
    run = assignment_reminders_send()
    return {"due_soon": run.due_soon, "overdue": run.overdue, "failed": run.failed}
