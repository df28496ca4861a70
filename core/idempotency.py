"""Idempotency keys: a retried create answers the first response instead of running twice.

The contract (docs/api.md, "Idempotency"):
- the same principal, key and request (method, path, body) within KEY_LIFETIME answers the
  first 2xx response again, with `Idempotent-Replayed: true`, and does nothing;
- the same key with another request answers 422; a key over 255 characters answers 422;
- while the first request still runs, a second one with the key answers 409 (retry later);
- an answer that is not 2xx is not kept: the create did nothing, so the key is free again.

Races. The row is claimed (INSERT under a unique constraint, committed at once) before the
create runs, so of two simultaneous requests exactly one runs; the other sees the claim. The
create and the stored answer commit in one transaction, so an in-progress claim whose holder
died means nothing was written: after CLAIM_LEASE another request may take it over (a
conditional UPDATE on `claimed_at`, so only one can), and a holder that outlived its lease
finds its claim gone when it tries to store the answer, and rolls its write back.
"""

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import IdempotencyKey

KEY_MAX_LENGTH = 255
KEY_LIFETIME = dt.timedelta(hours=24)
# Longer than any request may run (gunicorn's timeout is 30 s by default).
CLAIM_LEASE = dt.timedelta(minutes=2)


class IdempotencyKeyInvalid(Exception):
    """Empty or longer than KEY_MAX_LENGTH."""


class IdempotencyKeyReused(Exception):
    """The key was used for another request (method, path or body differ)."""


class IdempotencyKeyInProgress(Exception):
    """A request with this key is still running."""


@dataclass(frozen=True)
class Claim:
    """The right to run the request once: store its answer with idempotency_claim_complete."""

    pk: int
    claimed_at: dt.datetime


@dataclass(frozen=True)
class StoredAnswer:
    status_code: int
    body: Any


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


def idempotency_key_claim(
    *, principal: str, key: str, fingerprint: str, now: dt.datetime | None = None
) -> Claim | StoredAnswer:
    """Claim `key` for this request, or answer what its first use answered.

    Raises IdempotencyKeyInvalid, IdempotencyKeyReused or IdempotencyKeyInProgress.
    Runs in autocommit (not inside the caller's transaction): the claim must be visible to
    other requests before the create starts.
    """
    if not 1 <= len(key) <= KEY_MAX_LENGTH:
        raise IdempotencyKeyInvalid(
            f"Idempotency-Key must be 1 to {KEY_MAX_LENGTH} characters; this one has {len(key)}."
        )
    now = now or timezone.now()
    for _attempt in range(3):  # a row deleted between our INSERT and SELECT: try again
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    principal=principal, key=key, request_hash=fingerprint, claimed_at=now
                )
            return Claim(pk=row.pk, claimed_at=row.claimed_at)
        except IntegrityError:
            pass
        found = IdempotencyKey.objects.filter(principal=principal, key=key).first()
        if found is None:
            continue
        if found.created_at <= now - KEY_LIFETIME:
            # Expired but not yet swept: free it (only this row, only if still the same one).
            IdempotencyKey.objects.filter(pk=found.pk, created_at=found.created_at).delete()
            continue
        if found.request_hash != fingerprint:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was already used with another request (method, path or "
                "body); use a new key for a new request."
            )
        if found.status_code is not None:
            body = json.loads(found.response_body) if found.response_body else None
            return StoredAnswer(status_code=found.status_code, body=body)
        if found.claimed_at > now - CLAIM_LEASE:
            raise IdempotencyKeyInProgress(
                "A request with this Idempotency-Key is still being processed; retry shortly."
            )
        # The holder's lease ran out: it died, and its write (committed only together with
        # the answer) did not happen. Take the claim over; of several takers, one wins.
        taken = IdempotencyKey.objects.filter(
            pk=found.pk, status_code__isnull=True, claimed_at=found.claimed_at
        ).update(claimed_at=now)
        if taken:
            return Claim(pk=found.pk, claimed_at=now)
        raise IdempotencyKeyInProgress(
            "A request with this Idempotency-Key is still being processed; retry shortly."
        )
    raise IdempotencyKeyInProgress(
        "A request with this Idempotency-Key is still being processed; retry shortly."
    )


def idempotency_claim_complete(*, claim: Claim, status_code: int, body: Any) -> bool:
    """Store the answer; call inside the transaction that made the write. False when the claim
    was taken over meanwhile (the lease ran out): the caller must roll its write back."""
    stored = IdempotencyKey.objects.filter(
        pk=claim.pk, claimed_at=claim.claimed_at, status_code__isnull=True
    ).update(status_code=status_code, response_body="" if body is None else json.dumps(body))
    return stored == 1


def idempotency_claim_release(*, claim: Claim) -> None:
    """Free the key: the request failed and wrote nothing."""
    IdempotencyKey.objects.filter(
        pk=claim.pk, claimed_at=claim.claimed_at, status_code__isnull=True
    ).delete()


def idempotency_keys_expire(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than KEY_LIFETIME; returns how many. Safe to run twice."""
    cutoff = (now or timezone.now()) - KEY_LIFETIME
    deleted, _by_model = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted
