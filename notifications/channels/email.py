import smtplib

from django.core.mail import send_mail

from notifications.channels import Message, PermanentError, TransientError


def email_send(*, to: str, message: Message) -> None:
    body = message.body
    if message.url:
        body = f"{body}\n\n{message.link_label}: {message.url}"
    try:
        send_mail(message.title, body, None, [to])
    except smtplib.SMTPRecipientsRefused as exc:
        raise PermanentError(f"recipient refused: {exc}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise TransientError(f"mail server: {exc}") from exc
