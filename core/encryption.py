"""Secrets at rest (CRM credentials, webhook signing secrets), encrypted with Fernet.

The key comes from settings.FIELD_ENCRYPTION_KEY: one or more Fernet keys separated by commas;
the first encrypts, all decrypt, so a key can be rotated without a migration (add the new key in
front, re-save the rows, drop the old key). With DEBUG on and no key set, a development key is
derived from SECRET_KEY so that the embedded default works out of the box; with DEBUG off the
key is required and nothing is encrypted or decrypted without it.

It lives in `events`, the lowest app above core, so that both events (subscriber secrets) and
integrations (CRM credentials) can use it.
"""

import base64
import functools
import hashlib
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Ciphertexts start with this so that a plaintext value never passes for an encrypted one.
_PREFIX = "fernet:"


class DecryptionError(ImproperlyConfigured):
    """A stored secret does not open with the configured keys (was the key changed?)."""


@functools.lru_cache(maxsize=8)
def _fernet_for(configured: str, secret_key: str, debug: bool) -> MultiFernet:
    keys = [key.strip() for key in configured.split(",") if key.strip()]
    if not keys:
        if not debug:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be set when DEBUG is false; create one with "
                "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'"
            )
        digest = hashlib.sha256(b"coachline-field-encryption:" + secret_key.encode()).digest()
        keys = [base64.urlsafe_b64encode(digest).decode()]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), comma separated"
        ) from None


def fernet() -> MultiFernet:
    return _fernet_for(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY, settings.DEBUG)


def secret_encrypt(plaintext: str) -> str:
    return _PREFIX + fernet().encrypt(plaintext.encode()).decode()


def secret_decrypt(stored: str) -> str:
    if not stored:
        return ""
    if not stored.startswith(_PREFIX):
        raise DecryptionError("A stored secret is not encrypted; re-enter it.")
    try:
        return fernet().decrypt(stored[len(_PREFIX) :].encode()).decode()
    except InvalidToken:
        raise DecryptionError(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY; was the key changed?"
        ) from None


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text field whose value is plaintext in Python and Fernet ciphertext in the database.

    Not searchable or orderable by content, by design. Load rows without it (`defer`) on pages
    that do not need the secret.
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else secret_decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return secret_encrypt(str(value))
