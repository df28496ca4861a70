"""The one search box: courses, programs, lessons, stories, deals and people, grouped.

Each app answers for its own rows and its own visibility (training.selectors.search,
deals.selectors.deal_search, accounts.selectors.people_find); this composes them. People are
listed only for whoever may open a person's progress page, so no result links to a 403.
At most six queries, whatever the data size.
"""

from dataclasses import dataclass, field
from typing import Any

from accounts.access import Actor, Principal, may_see_team_progress
from accounts.selectors import people_find
from core.search import SearchTerms
from deals.selectors import deal_search
from training.selectors.search import TrainingResults, training_search


@dataclass
class SearchResults:
    terms: SearchTerms
    training: TrainingResults
    deals: list[Any] = field(default_factory=list)
    people: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        t = self.training
        groups = (t.courses, t.programs, t.lessons, t.stories, self.deals, self.people)
        return sum(len(g) for g in groups)


def site_search(*, user: Actor | Principal, terms: SearchTerms, limit: int = 10) -> SearchResults:
    training = training_search(user=user, terms=terms, limit=limit)
    people = (
        people_find(principal=user, words=terms.words, limit=limit)
        if may_see_team_progress(user)
        else []
    )
    return SearchResults(
        terms=terms,
        training=training,
        deals=deal_search(principal=user, words=terms.words, limit=limit),
        people=people,
    )
