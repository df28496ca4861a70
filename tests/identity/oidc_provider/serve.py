"""python -m tests.identity.oidc_provider.serve PORT: migrate a fresh database, create the
test user (ada / ada-password) and the client (coachline / coachline-secret), then serve."""

import os
import sys

import django


def main() -> None:
    port = int(sys.argv[1])
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.identity.oidc_provider.settings"
    django.setup()
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from oauth2_provider.models import get_application_model

    call_command("migrate", verbosity=0, interactive=False)
    user, _created = User.objects.get_or_create(
        username="ada",
        defaults={"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"},
    )
    user.set_password("ada-password")
    user.save()
    application = get_application_model()
    application.objects.filter(client_id="coachline").delete()
    application.objects.create(
        name="Coachline",
        client_id="coachline",
        client_secret="coachline-secret",
        client_type=application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application.GRANT_AUTHORIZATION_CODE,
        algorithm=application.RS256_ALGORITHM,
        redirect_uris="http://testserver/accounts/sso/oidc/callback/",
        skip_authorization=True,
    )
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True)


if __name__ == "__main__":
    main()
