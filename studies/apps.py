from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiesConfig(AppConfig):
    name = "studies"
    verbose_name = _("Studies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import versions  # noqa: F401  (signal receivers)
