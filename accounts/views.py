from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from accounts.forms import EmailLoginForm, ProfileForm
from accounts.http import AuthenticatedRequest
from accounts.selectors import user_list


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def profile(request: AuthenticatedRequest) -> HttpResponse:
    form = ProfileForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your profile is saved."))
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


@login_required
def people(request: AuthenticatedRequest) -> HttpResponse:
    # Queries: users with team and manager, their CRM ids, their coaches.
    users = list(user_list(principal=request.user))
    return render(request, "accounts/people.html", {"people": users})
