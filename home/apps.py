from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The front door: the role-aware home page and the demo data seeder, which compose all apps.

    It sits on top of the dependency graph (it may import every app; no app imports it).
    """

    name = "home"
