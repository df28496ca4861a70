import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection

from core.encryption import DecryptionError, secret_decrypt, secret_encrypt
from events.models import WebhookSubscription
from tests.events.factories import WebhookSubscriptionFactory

pytestmark = pytest.mark.django_db


def test_secrets_are_stored_encrypted_and_read_back_plain():
    sub = WebhookSubscriptionFactory(secret="whsec_plain_value")

    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM events_webhooksubscription WHERE id = %s", [sub.pk])
        (raw,) = cursor.fetchone()

    assert raw.startswith("fernet:")
    assert "whsec_plain_value" not in raw
    assert WebhookSubscription.objects.get(pk=sub.pk).secret == "whsec_plain_value"


def test_a_new_key_in_front_still_reads_secrets_of_the_old_key(settings):
    old_key = settings.FIELD_ENCRYPTION_KEY
    stored = secret_encrypt("s3cret")
    settings.FIELD_ENCRYPTION_KEY = f"{Fernet.generate_key().decode()},{old_key}"

    assert secret_decrypt(stored) == "s3cret"
    assert secret_decrypt(secret_encrypt("next")) == "next"


def test_a_changed_key_fails_loudly(settings):
    stored = secret_encrypt("s3cret")
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()

    with pytest.raises(DecryptionError, match="was the key changed"):
        secret_decrypt(stored)


def test_production_without_a_key_refuses_to_encrypt(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    settings.DEBUG = False

    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEY must be set"):
        secret_encrypt("s3cret")


def test_development_without_a_key_derives_one_from_secret_key(settings):
    settings.FIELD_ENCRYPTION_KEY = ""
    settings.DEBUG = True
    stored = secret_encrypt("s3cret")

    assert secret_decrypt(stored) == "s3cret"
    settings.SECRET_KEY = "another-secret-key"
    with pytest.raises(DecryptionError):
        secret_decrypt(stored)


def test_a_malformed_key_is_named(settings):
    settings.FIELD_ENCRYPTION_KEY = "not-a-key"

    with pytest.raises(ImproperlyConfigured, match="must be Fernet keys"):
        secret_encrypt("s3cret")


def test_plaintext_in_the_column_is_refused():
    with pytest.raises(DecryptionError, match="not encrypted"):
        secret_decrypt("plain")
