from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render

from accounts.http import AuthenticatedRequest
from home.panels import home_panels


@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    return render(request, "home/home.html", {"panels": home_panels(request.user)})
