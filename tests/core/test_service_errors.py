"""A service's ValidationError reaches the API through one branch of the exception handler and
pages through one helper (core.forms)."""

from django import forms
from django.core.exceptions import ValidationError
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from core.forms import form_add_service_errors, service_error_messages


class _Refuses(APIView):
    authentication_classes: list[type] = []
    permission_classes: list[type] = []
    error: ValidationError

    def post(self, request):  # type: ignore[no-untyped-def]
        raise self.error


def _answer(error: ValidationError):  # type: ignore[no-untyped-def]
    view = type("Refuses", (_Refuses,), {"error": error}).as_view()
    response = view(APIRequestFactory().post("/x", {}, format="json"))
    return response.status_code, response.data


def test_a_service_error_by_field_is_the_apis_400_naming_each_field():
    status, body = _answer(
        ValidationError({"due_date": ["Too late."], "commitments[0].target": ["Required."]})
    )

    assert status == 400
    assert body == {
        "code": "validation_error",
        "detail": "Invalid input.",
        "errors": [
            {"field": "due_date", "message": "Too late."},
            {"field": "commitments[0].target", "message": "Required."},
        ],
    }


def test_a_service_error_without_a_field_is_a_400_on_no_field():
    status, body = _answer(ValidationError("The quiz is closed."))

    assert status == 400
    assert body["errors"] == [{"field": "", "message": "The quiz is closed."}]


class _Form(forms.Form):
    rep = forms.CharField(required=False)
    title = forms.CharField(required=False)


def _bound() -> _Form:
    form = _Form({})
    assert form.is_valid()
    return form


def test_errors_land_on_the_forms_fields_with_aliases_and_on_top_otherwise():
    form = _bound()

    form_add_service_errors(
        form,
        ValidationError({"rep_id": ["Not yours."], "title": ["Taken."], "ghost": ["Odd."]}),
        aliases={"rep_id": "rep"},
    )

    assert form.errors == {"rep": ["Not yours."], "title": ["Taken."], "__all__": ["Odd."]}


def test_a_lists_errors_go_to_the_form_that_edits_its_items():
    form, item_form = _bound(), _bound()

    form_add_service_errors(
        form,
        ValidationError({"commitments[0].title": ["Say what."], "title": ["Taken."]}),
        subforms={"commitments": item_form},
    )

    assert form.errors == {"title": ["Taken."]}
    assert item_form.errors == {"title": ["Say what."]}


def test_an_error_without_a_field_goes_on_top():
    form = _bound()

    form_add_service_errors(form, ValidationError(["One.", "Two."]))

    assert form.errors == {"__all__": ["One.", "Two."]}
    assert service_error_messages(ValidationError("x")) == {"__all__": ["x"]}
