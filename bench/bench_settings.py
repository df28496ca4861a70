"""Settings for the page benches: the production settings plus a URLconf with reference views.

Only the benches load this module (DJANGO_SETTINGS_MODULE=bench_settings, with bench/ on the
path); the site never does, so the reference views exist nowhere else.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
# No collectstatic in a bench run: static URLs are built without the manifest's hashed names.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
