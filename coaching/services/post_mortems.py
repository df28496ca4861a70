"""Post-mortems, their commitments (checked against deals data) and action items, and turning a
post-mortem of a won or lost deal into a draft story lesson."""

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import User
from coaching.models import (
    LOWER_IS_BETTER,
    POST_MORTEM_KINDS,
    ActionItem,
    CoachingSession,
    Commitment,
    CommitmentMetric,
    CommitmentStatus,
    PostMortem,
    SessionStatus,
)
from coaching.services.metrics import Measurement, metric_measure
from core.outbox import outbox_enqueue
from deals.models import Deal, DealStatus
from notifications.kinds import Kind
from notifications.services import notify
from training.models import Lesson

# A commitment is checked within this horizon: long enough for deals to move, short enough to
# be remembered.
MAX_HORIZON = dt.timedelta(days=366)


@dataclass(frozen=True)
class CommitmentInput:
    metric: str
    target: Decimal | str | int | float
    check_date: dt.date
    description: str = ""


@dataclass(frozen=True)
class ActionItemInput:
    owner_id: int
    description: str
    due_date: dt.date


def _amount(amount: Decimal) -> str:
    # Grouped in the language the story is written in: "154,600" / "154.600".
    return number_format(round(amount), 0, force_grouping=True)


def _validate_commitment(data: CommitmentInput, *, today: dt.date, prefix: str) -> Decimal:
    errors: dict[str, str] = {}
    if data.metric not in CommitmentMetric.values:
        errors[f"{prefix}metric"] = _("Choose a metric from the list.")
    try:
        target = Decimal(str(data.target))
    except (InvalidOperation, ValueError):
        target = Decimal(-1)
    if not target.is_finite() or not Decimal(0) <= target <= Decimal(100):
        errors[f"{prefix}target"] = _("The target is a percentage between 0 and 100.")
    if data.check_date <= today:
        errors[f"{prefix}check_date"] = _("The check date must be in the future.")
    elif data.check_date > today + MAX_HORIZON:
        errors[f"{prefix}check_date"] = _("The check date must be within a year.")
    if errors:
        raise ValidationError(errors)
    return target.quantize(Decimal("0.1"))


def _validate_action_item(
    data: ActionItemInput, *, session: CoachingSession, today: dt.date, prefix: str
) -> None:
    errors: dict[str, str] = {}
    if not data.description.strip():
        errors[f"{prefix}description"] = _("Say what is to be done.")
    if data.owner_id not in (session.coach_id, session.rep_id):
        errors[f"{prefix}owner_id"] = _("The owner is the coach or the rep of the session.")
    if data.due_date < today:
        errors[f"{prefix}due_date"] = _("The due date cannot be in the past.")
    if errors:
        raise ValidationError(errors)


def post_mortem_record(
    *,
    session: CoachingSession,
    author: User | None,
    went_well: str,
    to_improve: str,
    commitments: Sequence[CommitmentInput] = (),
    action_items: Sequence[ActionItemInput] = (),
    today: dt.date | None = None,
) -> PostMortem:
    """Write (or rewrite) a completed session's post-mortem and add commitments and actions.

    All or nothing: one bad commitment or action item writes none of it.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    if session.kind not in POST_MORTEM_KINDS:
        errors["session"] = _("Only post-call reviews and deal post-mortems have a post-mortem.")
    elif session.status != SessionStatus.COMPLETED:
        errors["session"] = _("Complete the session first.")
    if not went_well.strip():
        errors["went_well"] = _("Say what went well.")
    if not to_improve.strip():
        errors["to_improve"] = _("Say what to improve.")
    if errors:
        raise ValidationError(errors)
    targets = [
        _validate_commitment(c, today=today, prefix=f"commitments[{i}].")
        for i, c in enumerate(commitments)
    ]
    for i, item in enumerate(action_items):
        _validate_action_item(item, session=session, today=today, prefix=f"action_items[{i}].")
    with transaction.atomic():
        post_mortem, _created = PostMortem.objects.update_or_create(
            session=session,
            defaults={
                "author": author,
                "went_well": went_well.strip(),
                "to_improve": to_improve.strip(),
            },
        )
        # A PUT is retried (a timeout, a double click): what is already there is not added
        # again. update_or_create locked the post-mortem row, so two retries cannot both add.
        Commitment.objects.bulk_create(
            _new_commitments(post_mortem, session, commitments, targets, today=today)
        )
        ActionItem.objects.bulk_create(_new_action_items(session, action_items))
    return post_mortem


def _new_commitments(
    post_mortem: PostMortem,
    session: CoachingSession,
    commitments: Sequence[CommitmentInput],
    targets: Sequence[Decimal],
    *,
    today: dt.date,
) -> list[Commitment]:
    """The commitments not already on the post-mortem (same description, metric, target and
    check date), each once."""
    seen = set(post_mortem.commitments.values_list("description", "metric", "target", "check_date"))
    new = []
    for c, target in zip(commitments, targets, strict=True):
        key = (c.description.strip(), c.metric, target, c.check_date)
        if key in seen:
            continue
        seen.add(key)
        new.append(
            Commitment(
                post_mortem=post_mortem,
                rep_id=session.rep_id,
                description=key[0],
                metric=c.metric,
                target=target,
                window_start=today,
                check_date=c.check_date,
            )
        )
    return new


def _new_action_items(
    session: CoachingSession, action_items: Sequence[ActionItemInput]
) -> list[ActionItem]:
    """The action items not already on the session (same owner, description and due date)."""
    seen = set(session.action_items.values_list("owner_id", "description", "due_date"))
    new = []
    for item in action_items:
        key = (item.owner_id, item.description.strip(), item.due_date)
        if key in seen:
            continue
        seen.add(key)
        new.append(
            ActionItem(
                session=session, owner_id=item.owner_id, description=key[1], due_date=item.due_date
            )
        )
    return new


def commitment_add(
    *, post_mortem: PostMortem, data: CommitmentInput, today: dt.date | None = None
) -> Commitment:
    today = today or timezone.localdate()
    target = _validate_commitment(data, today=today, prefix="")
    return Commitment.objects.create(
        post_mortem=post_mortem,
        rep_id=post_mortem.session.rep_id,
        description=data.description.strip(),
        metric=data.metric,
        target=target,
        window_start=today,
        check_date=data.check_date,
    )


def action_item_add(
    *, session: CoachingSession, data: ActionItemInput, today: dt.date | None = None
) -> ActionItem:
    today = today or timezone.localdate()
    _validate_action_item(data, session=session, today=today, prefix="")
    return ActionItem.objects.create(
        session=session,
        owner_id=data.owner_id,
        description=data.description.strip(),
        due_date=data.due_date,
    )


def action_item_set_done(*, item: ActionItem, is_done: bool) -> ActionItem:
    item.completed_at = timezone.now() if is_done else None
    item.save(update_fields=["completed_at", "updated_at"])
    return item


# Checking commitments


def commitments_due_ids(*, today: dt.date) -> list[int]:
    return list(
        Commitment.objects.filter(status=CommitmentStatus.PENDING, check_date__lte=today)
        .order_by("check_date", "pk")
        .values_list("pk", flat=True)
    )


def commitment_check(*, commitment_id: int, today: dt.date | None = None) -> bool:
    """Measure a due commitment, record met / missed / no data, and notify rep and coach.

    Idempotent: the result is written by a conditional UPDATE (status still pending), so a
    second run, or two workers at once, record and notify once. Returns whether this call did.
    """
    today = today or timezone.localdate()
    commitment = Commitment.objects.select_related("rep", "post_mortem__session__coach").get(
        pk=commitment_id
    )
    if commitment.status != CommitmentStatus.PENDING or commitment.check_date > today:
        return False
    measured = metric_measure(
        rep=commitment.rep,
        metric=commitment.metric,
        start=commitment.window_start,
        end=commitment.check_date,
    )
    status = _commitment_verdict(
        metric=commitment.metric, target=commitment.target, value=measured.value
    )
    now = timezone.now()
    with transaction.atomic():
        recorded = Commitment.objects.filter(
            pk=commitment.pk, status=CommitmentStatus.PENDING
        ).update(
            status=status,
            measured_value=measured.value,
            deals_measured=measured.count,
            checked_at=now,
            updated_at=now,
        )
        if not recorded:
            return False
        _commitment_announce(commitment=commitment, status=status, measured=measured)
    return True


def _commitment_announce(*, commitment: Commitment, status: str, measured: Measurement) -> None:
    """Inside the recording transaction: the event, the results email and the notices."""
    from events.services import event_emit

    event_emit(
        event_type="coaching.commitment_checked",
        payload={
            "commitment_id": commitment.pk,
            "session_id": commitment.post_mortem.session_id,
            "rep_id": commitment.rep_id,
            "metric": commitment.metric,
            "target": commitment.target,
            "status": status,
            "measured_value": measured.value,
            "deals_measured": measured.count,
            "window_start": commitment.window_start,
            "check_date": commitment.check_date,
        },
    )
    outbox_enqueue(task="coaching.tasks.notify_commitment_result", args=[commitment.pk])
    session = commitment.post_mortem.session
    notify(
        recipients=[commitment.rep]
        + ([session.coach] if session.coach_id != commitment.rep_id else []),
        kind=Kind.COMMITMENT_CHECKED,
        params={
            "title": str(commitment.get_metric_display()),
            "result": str(CommitmentStatus(status).label),
        },
        url=reverse("coaching:session_detail", args=[session.pk]),
        own_email=True,  # notify_commitment_result emails the measurements
    )


def _commitment_verdict(*, metric: str, target: Decimal, value: Decimal | None) -> str:
    """Met, missed or no data; for cycle-time-like metrics a lower value meets the target."""
    if value is None:
        return CommitmentStatus.NO_DATA
    met = value <= target if metric in LOWER_IS_BETTER else value >= target
    return CommitmentStatus.MET if met else CommitmentStatus.MISSED


# Closing the loop: a post-mortem becomes a story lesson


def _redact(text: str, names: Sequence[str], replacement: str) -> str:
    for name in sorted({n for n in names if len(n) >= 3}, key=len, reverse=True):
        text = re.sub(rf"\b{re.escape(name)}\b", replacement, text, flags=re.IGNORECASE)
    return text


def _story_texts(
    post_mortem: PostMortem, *, session: CoachingSession, deal: Deal
) -> tuple[str, str]:
    """(what happened, what we learned): the deal's facts and the post-mortem's lessons, with
    the rep's and the customer's names taken out."""
    rep_names = [session.rep.full_name, *session.rep.full_name.split()]
    customer = [deal.account_name]

    def anonymous(text: str) -> str:
        return _redact(_redact(text, rep_names, _("the rep")), customer, _("the customer"))

    won = deal.status == DealStatus.WON
    facts = [
        _("Outcome: %(outcome)s.") % {"outcome": _("won") if won else _("lost")},
        _("Deal size: %(amount)s %(currency)s.")
        % {"amount": _amount(deal.amount), "currency": deal.currency},
        _("Last stage: %(stage)s.") % {"stage": deal.stage},
    ]
    if deal.closed_at:
        facts.append(
            _("Sales cycle: %(days)s days.") % {"days": (deal.closed_at - deal.created_at).days}
        )
    if not won and deal.loss_reason:
        facts.append(_("Loss reason: %(reason)s.") % {"reason": deal.loss_reason})
    what_happened = "\n".join(
        [" ".join(facts), "", _("What went well:"), anonymous(post_mortem.went_well)]
    )
    what_we_learned = "\n".join([_("What to improve:"), anonymous(post_mortem.to_improve)])
    return what_happened, what_we_learned


def post_mortem_to_story_lesson(*, post_mortem: PostMortem, author: User) -> Lesson:
    """Draft a story lesson from the post-mortem of a won or lost deal, and keep the link.

    The facts come from the deal (outcome, size in the deal's currency, cycle days, stage, loss
    reason); the lessons from the post-mortem. The rep's name and the customer's (account) name
    are left out, also where the post-mortem text mentions them. Idempotent: a second call
    returns the lesson already made.
    """
    from training.services import story_lesson_create_draft

    with transaction.atomic():
        locked = PostMortem.objects.select_for_update().get(pk=post_mortem.pk)
        if locked.story_lesson_id is not None:
            return Lesson.objects.get(pk=locked.story_lesson_id)
        session = CoachingSession.objects.select_related("rep", "deal").get(pk=locked.session_id)
        deal = session.deal
        if deal is None or deal.status not in (DealStatus.WON, DealStatus.LOST):
            raise ValidationError(
                {"deal": _("Only a post-mortem of a won or lost deal becomes a story.")}
            )
        won = deal.status == DealStatus.WON
        cycle_days = (deal.closed_at - deal.created_at).days if deal.closed_at else None
        what_happened, what_we_learned = _story_texts(locked, session=session, deal=deal)
        size = {"amount": _amount(deal.amount), "currency": deal.currency}
        title = (
            _("Won: a %(amount)s %(currency)s deal")
            if won
            else _("Lost: a %(amount)s %(currency)s deal")
        ) % size
        lesson = story_lesson_create_draft(
            course=None,
            title=title[:200],
            industry="",
            deal_size=deal.amount,
            cycle_days=cycle_days,
            outcome="won" if won else "lost",
            what_happened=what_happened,
            what_we_learned=what_we_learned,
            author=author,
        )
        locked.story_lesson = lesson
        locked.save(update_fields=["story_lesson", "updated_at"])
    post_mortem.story_lesson = lesson
    return lesson
