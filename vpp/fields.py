"""An encrypted text field for vendor secrets: Fernet ciphertext at rest, plaintext only in memory.

Keys come from settings.FIELD_ENCRYPTION_KEYS (newest first); MultiFernet decrypts with any of them so keys
can be rotated by prepending a new key and re-saving.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@functools.cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for key in keys:
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys "
                "(32 url-safe base64-encoded bytes each; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            ) from None
    return MultiFernet(fernets)


def encrypt_text(plaintext: str) -> str:
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plaintext.encode()).decode()


def decrypt_text(ciphertext: str) -> str:
    try:
        return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with FIELD_ENCRYPTION_KEY: was the key changed without "
            "keeping the old one in the list?"
        ) from None


def looks_encrypted(value: str) -> bool:
    try:
        return base64.urlsafe_b64decode(value.encode())[:1] == b"\x80"
    except (ValueError, TypeError):
        return False


class EncryptedTextField(models.TextField):
    """Stores Fernet ciphertext; Python code sees plaintext. Not searchable or orderable, by design."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt_text(value)

    def to_python(self, value):
        # loaddata hands back what dumpdata wrote: ciphertext (see value_to_string).
        if isinstance(value, str) and looks_encrypted(value):
            return decrypt_text(value)
        return value

    def value_to_string(self, obj):
        # dumpdata and other serialisers get ciphertext, so a fixture file never holds a plaintext secret.
        value = self.value_from_object(obj)
        return encrypt_text(value) if value else value

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt_text(value)
