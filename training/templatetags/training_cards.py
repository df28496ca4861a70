"""{% course_cards cards %}: the catalog's course cards, written in Python.

The catalog and "My learning" show a grid of cards, and they are the pages reps open most. In
Django's template language each card costs a few dozen node renders; written with format_html it
costs one, which is most of the difference between a page that feels instant and one that does
not (bench/pages.py). The markup is the same as a template would produce, every value escaped.
"""

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from core.formats import percent_text
from core.templatetags.pct_class import pct_class
from training.selectors import CourseCard, Status

register = template.Library()


def _card(card: CourseCard, labels: dict[str, str]) -> SafeString:
    course = card.course
    tags = (
        format_html(
            '<ul class="tags">{}</ul>',
            format_html_join(
                "", '<li><span class="tag">{}</span></li>', ((t,) for t in course.tags)
            ),
        )
        if course.tags
        else ""
    )
    facts = format_html_join("", "<span>{}</span>", ((fact,) for fact in card.facts))
    rating = (
        format_html(
            '<span><span class="stars" aria-hidden="true">★</span> {} '
            '<span class="sr-only">{}</span>({})</span>',
            card.rating_display,
            labels["out_of_5"],
            card.rating_count,
        )
        if card.rating_count
        else ""
    )
    status = card.status
    if status == Status.DONE:
        foot = format_html('<span class="badge ok">{}</span>', labels["completed"])
    elif status == Status.IN_PROGRESS:
        foot = format_html(
            '<div class="progress" role="progressbar" aria-valuemin="0" aria-valuemax="100" '
            'aria-valuenow="{0}" aria-label="{1}"><span></span></div>'
            "<span>{2}</span>",
            card.percent,
            labels["progress"],
            percent_text(card.percent),
        )
    else:
        foot = format_html('<span class="badge">{}</span>', labels["not_started"])
    summary = format_html('<p class="summary">{}</p>', course.summary) if course.summary else ""
    return format_html(
        '<article class="course-card is-{status} {pct}">'
        '<div class="course-card-band" aria-hidden="true"></div>'
        '<div class="course-card-body">{tags}<h3><a href="{url}">{title}</a></h3>{summary}'
        '<p class="meta">{facts}{rating}</p><div class="course-card-foot">{foot}</div></div>'
        "</article>",
        status=status,
        pct=pct_class(card.percent),
        tags=tags,
        url=reverse("training:course_detail", args=[course.slug]),
        title=course.title,
        summary=summary,
        facts=facts,
        rating=rating,
        foot=foot,
    )


@register.simple_tag
def course_cards(cards: Iterable[CourseCard]) -> SafeString:
    labels = {
        "out_of_5": gettext("out of 5"),
        "completed": gettext("Completed"),
        "progress": gettext("Progress"),
        "not_started": gettext("Not started"),
    }
    return mark_safe("\n".join(_card(card, labels) for card in cards))  # each card is escaped
