from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest
from core.search import MAX_QUERY_CHARS, search_terms_parse
from home.panels import home_panels
from home.search import site_search


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "home/home.html", {"panels": home_panels(request.user)})


@login_required
def search(request: AuthenticatedRequest) -> HttpResponse:
    """The search page: grouped results, or why the text cannot be searched (400, not 500)."""
    raw = request.GET.get("q", "")
    try:
        terms = search_terms_parse(raw)
    except ValidationError as exc:
        context = {"query": raw.replace("\x00", "")[:MAX_QUERY_CHARS], "error": exc.messages[0]}
        return render(request, "home/search.html", context, status=400)
    results = site_search(user=request.user, terms=terms)
    return render(request, "home/search.html", {"query": terms.text, "results": results})
