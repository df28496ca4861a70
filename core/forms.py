"""Service errors on forms: the one way a page shows what a service refused.

Services raise Django's `ValidationError`, keyed by field where they can name one (as the API
names fields: `rep_id`, `commitments[0].target`). The API maps it in one branch of
core.api.errors.exception_handler; pages put it on their form with `form_add_service_errors`.
"""

from collections.abc import Mapping

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError


def service_error_messages(exc: ValidationError) -> dict[str, list[str]]:
    """{field: [messages]} of a service's error; "__all__" for what names no field."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {NON_FIELD_ERRORS: exc.messages}


def form_add_service_errors(
    form: forms.BaseForm,
    exc: ValidationError,
    *,
    aliases: Mapping[str, str] | None = None,
    subforms: Mapping[str, forms.BaseForm] | None = None,
) -> None:
    """Put a service's errors on `form`: at the field when the form has it, else on top.

    `aliases` renames the service's field names to the form's (`{"rep_id": "rep"}`).
    `subforms` sends a list's errors to the form that edits its items:
    `{"commitments": commitment_form}` puts "commitments[0].target" on that form's `target`.
    """
    for key, messages in service_error_messages(exc).items():
        target, name = form, (aliases or {}).get(key, key)
        head, bracket, rest = key.partition("[")
        if bracket and subforms and head in subforms:
            target, name = subforms[head], rest.partition(".")[2]
        target.add_error(name if name in target.fields else None, messages)
