from django.contrib.auth import views as auth_views
from django.urls import path

from accounts import people_views, saml_views, sso_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", sso_views.logout_view, name="logout"),
    path("sso/oidc/login/", sso_views.oidc_login, name="oidc_login"),
    path("sso/oidc/callback/", sso_views.oidc_callback, name="oidc_callback"),
    path("sso/saml/metadata/", saml_views.saml_metadata, name="saml_metadata"),
    path("sso/saml/login/", saml_views.saml_login, name="saml_login"),
    path("sso/saml/acs/", saml_views.saml_acs, name="saml_acs"),
    path("sso/", sso_views.sso_settings, name="sso_settings"),
    path("sso/scim-token/", sso_views.scim_token_create, name="scim_token_create"),
    path("sign-ins/", sso_views.sign_ins, name="sign_ins"),
    path("login/code/", views.two_factor_verify_view, name="two_factor_verify"),
    path("two-factor/", views.two_factor_settings, name="two_factor"),
    path("audit/", views.audit_log, name="audit_log"),
    path("profile/", views.profile, name="profile"),
    path("people/", people_views.people, name="people"),
    path("people/invite/", people_views.person_invite, name="person_invite"),
    path("people/<int:user_id>/", people_views.person_edit, name="person"),
    path("people/<int:user_id>/active/", people_views.person_set_active, name="person_set_active"),
    path(
        "people/<int:user_id>/invite-again/",
        people_views.person_invite_again,
        name="person_invite_again",
    ),
    path(
        "people/<int:user_id>/crm-ids/",
        people_views.person_crm_identity,
        name="person_crm_identity",
    ),
    path("teams/", people_views.teams, name="teams"),
    path("teams/<int:team_id>/", people_views.team_edit, name="team"),
    path("api-keys/", people_views.api_keys, name="api_keys"),
    path("api-keys/<str:key_id>/revoke/", people_views.api_key_revoke_view, name="api_key_revoke"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
