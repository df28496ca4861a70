from django.apps import AppConfig


class ToolsConfig(AppConfig):
    """The sales tool stack (CRM, engagement, data, dialer, …): what it costs and who holds seats,
    so leaders can set tool spend per rep-month beside what training and coaching achieve."""

    name = "tools"
