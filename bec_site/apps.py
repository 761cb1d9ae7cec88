from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BecSiteConfig(AppConfig):
    name = "bec_site"
    verbose_name = _("BEC site")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
