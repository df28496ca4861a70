import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from accounts.models import CrmIdentity
from deals.models import CsvColumnMapping, CsvUpload, Deal, IngestJob
from tests.factories import CrmIdentityFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "Opportunity ID,Opportunity Name,Owner,Amount,Currency,Stage,Status,Created Date,"
    "Close Date,Closed Date,Deadline,Economic Buyer,Last Modified\n"
)
GOOD = (
    "006A1,Acme renewal,005REP,12000,EUR,Proposal,open,2025-01-10,2025-06-30,,yes,no,"
    "2025-03-01T09:00:00Z\n"
    "006A2,Globex pilot,005REP,5000.50,USD,Closed Won,won,2025-01-12,2025-03-01,2025-03-01,"
    "ja,y,2025-03-02T09:00:00Z\n"
)
BAD = "006A3,Broken,005REP,-3,EUR,Proposal,open,2025-01-10,,,,,2025-03-01T09:00:00Z\n"
MAPPING = {
    "external_id": "Opportunity ID",
    "name": "Opportunity Name",
    "owner_id": "Owner",
    "amount": "Amount",
    "currency": "Currency",
    "stage": "Stage",
    "status": "Status",
    "created_at": "Created Date",
    "expected_close_date": "Close Date",
    "closed_at": "Closed Date",
    "has_compelling_deadline": "Deadline",
    "has_economic_buyer": "Economic Buyer",
    "source_updated_at": "Last Modified",
}


@pytest.fixture
def admin_client(cast, client):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    client.force_login(cast.admin)
    return client


def upload(client, text, *, encoding="utf-8", data=None, source="salesforce"):
    file = SimpleUploadedFile("deals.csv", data if data is not None else text.encode(encoding))
    return client.post("/deals/import/", {"source": source, "file": file, "encoding": encoding})


def test_upload_preview_map_import_and_error_report(admin_client, cast):
    response = upload(admin_client, HEADER + GOOD + BAD)
    assert response.status_code == 302
    map_url = response["Location"]

    preview = admin_client.get(map_url)
    assert preview.context["row_count"] == 3
    assert preview.context["preview"][0][:2] == ["006A1", "Acme renewal"]
    assert not Deal.objects.exists()  # nothing imported before the mapping is confirmed

    done = admin_client.post(map_url, MAPPING)
    job = IngestJob.objects.get()
    assert done["Location"] == f"/deals/import/jobs/{job.pk}/"
    assert (job.kind, job.status, job.received, job.created) == ("csv", "done", 3, 2)
    assert job.errors == [
        {"index": 2, "external_id": "006A3", "field": "amount", "message": "Must not be negative."}
    ]
    acme = Deal.objects.get(external_id="006A1")
    assert (acme.source, acme.owner, acme.has_compelling_deadline, acme.has_economic_buyer) == (
        "salesforce",
        cast.rep,
        True,
        False,
    )
    assert str(Deal.objects.get(external_id="006A2").closed_at) == "2025-03-01 00:00:00+00:00"

    report = admin_client.get(f"/deals/import/jobs/{job.pk}/errors.csv")
    assert report["Content-Type"] == "text/csv"
    # The report and the page name the file's column ("Amount"), not the internal field.
    assert list(csv.reader(io.StringIO(report.content.decode()))) == [
        ["index", "line", "external_id", "column", "message"],
        ["2", "4", "006A3", "Amount", "Must not be negative."],
    ]
    page = admin_client.get(f"/deals/import/jobs/{job.pk}/").content.decode()
    assert "Must not be negative." in page
    assert "<td>Amount</td>" in page and "<td>amount</td>" not in page


def test_import_errors_name_the_column_the_person_mapped_not_the_internal_field(admin_client):
    bad_time = "006A4,Late,005REP,10,EUR,Proposal,open,2025-01-10,,,,,not a time\n"
    map_url = upload(admin_client, HEADER + bad_time)["Location"]
    admin_client.post(map_url, MAPPING)
    job = IngestJob.objects.get()
    assert job.errors[0]["field"] == "source_updated_at"  # the API keeps the field's name

    page = admin_client.get(f"/deals/import/jobs/{job.pk}/").content.decode()
    report = admin_client.get(f"/deals/import/jobs/{job.pk}/errors.csv").content.decode()

    assert "source_updated_at" not in page and "source_updated_at" not in report
    assert "Last Modified" in page and "Last Modified" in report


def test_the_mapping_is_remembered_for_the_source(admin_client):
    map_url = upload(admin_client, HEADER + GOOD)["Location"]
    admin_client.post(map_url, MAPPING)

    second = upload(admin_client, HEADER + GOOD)["Location"]

    assert CsvColumnMapping.objects.get(source="salesforce").columns == MAPPING
    assert admin_client.get(second).context["form"].initial == MAPPING


def test_importing_the_same_file_again_changes_nothing(admin_client):
    admin_client.post(upload(admin_client, HEADER + GOOD)["Location"], MAPPING)

    admin_client.post(upload(admin_client, HEADER + GOOD)["Location"], MAPPING)

    second = IngestJob.objects.order_by("created_at").last()
    assert (second.created, second.unchanged) == (0, 2)


def test_wrong_encoding_is_refused_before_anything_is_stored(admin_client):
    response = upload(admin_client, "", data=(HEADER + "006A1,Café,…\n").encode("utf-16"))

    assert response.status_code == 200
    assert "not valid utf-8 text" in response.content.decode()
    assert not CsvUpload.objects.exists()


def test_a_latin_1_file_can_be_read_with_its_encoding(admin_client):
    text = HEADER + GOOD.replace("Acme renewal", "Société Générale")

    map_url = upload(admin_client, text, encoding="latin-1")["Location"]
    admin_client.post(map_url, MAPPING)

    assert Deal.objects.filter(name="Société Générale").exists()


def test_missing_required_columns_are_named_before_anything_is_imported(admin_client):
    map_url = upload(admin_client, HEADER + GOOD)["Location"]
    incomplete = {k: v for k, v in MAPPING.items() if k not in ("amount", "owner_id")}

    response = admin_client.post(map_url, incomplete)

    assert response.status_code == 200
    errors = response.context["form"].non_field_errors()
    assert "Choose the column for “amount”." in errors[0]
    assert "owner id or the owner email" in errors[0]
    assert not Deal.objects.exists()
    assert not IngestJob.objects.exists()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The submitted file is empty."),
        ("\n\n", "The first line must name the columns."),
        (HEADER, "The file has a header but no rows."),
        ("a,a\n1,2\n", "Column names must be unique"),
    ],
)
def test_unusable_files_get_a_clear_message(admin_client, text, message):
    response = upload(admin_client, text)

    assert message in response.content.decode()


def test_a_semicolon_separated_file_is_read(admin_client):
    text = (HEADER + GOOD).replace(",", ";")

    admin_client.post(upload(admin_client, text)["Location"], MAPPING)

    assert Deal.objects.count() == 2


@pytest.mark.parametrize("who", ["rep", "coach", "manager", "leader"])
def test_import_pages_are_for_admins_only(cast, client, who):
    client.force_login(cast[who])
    file = SimpleUploadedFile("deals.csv", (HEADER + GOOD).encode())

    assert client.get("/deals/import/").status_code == 404
    assert client.post("/deals/import/", {"source": "x", "file": file}).status_code == 404
    assert not CsvUpload.objects.exists()


def test_a_large_file_becomes_a_background_job(
    admin_client, settings, django_capture_on_commit_callbacks
):
    settings.BULK_SYNC_MAX_ROWS = 1
    map_url = upload(admin_client, HEADER + GOOD)["Location"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(map_url, MAPPING)

    job = IngestJob.objects.get()
    assert (job.status, job.created) == ("done", 2)


# --- manage.py import_deals ----------------------------------------------------------------


def test_command_imports_with_the_remembered_mapping(cast, tmp_path):
    CrmIdentityFactory(user=cast.rep, source="salesforce", owner_id="005REP")
    CsvColumnMapping.objects.create(source="salesforce", columns=MAPPING)
    path = tmp_path / "deals.csv"
    path.write_text(HEADER + GOOD + BAD)
    errors = tmp_path / "errors.csv"
    out = io.StringIO()

    call_command(
        "import_deals", str(path), "--source", "salesforce", "--errors", str(errors), stdout=out
    )

    assert "received: 3, created: 2, updated: 0, unchanged: 0, stale: 0" in out.getvalue()
    assert "line 4 (006A3): amount: Must not be negative." in out.getvalue()
    assert "006A3" in errors.read_text()
    assert Deal.objects.count() == 2


def test_command_maps_columns_named_like_the_fields(cast, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        "external_id,name,owner_email,amount,currency,stage,status,created_at,source_updated_at\n"
        "X1,Deal,rep@example.com,10,USD,Discovery,open,2025-01-01,2025-01-02T00:00:00Z\n"
    )

    call_command("import_deals", str(path), "--source", "CSV", stdout=io.StringIO())

    deal = Deal.objects.get()
    assert (deal.source, deal.owner) == ("csv", cast.rep)


def test_command_refuses_a_file_with_a_required_column_missing(db, tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text("external_id,name\nX1,Deal\n")

    with pytest.raises(CommandError, match="Choose the column for “amount”"):
        call_command("import_deals", str(path), "--source", "csv")

    assert not Deal.objects.exists()
    assert not CrmIdentity.objects.exists()
