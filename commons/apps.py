from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonsConfig(AppConfig):
    name = "commons"
    verbose_name = _("Commons: bureaus and governance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import lookups, signals, workflow  # noqa: F401

        lookups.register()
