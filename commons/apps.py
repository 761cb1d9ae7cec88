from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonsConfig(AppConfig):
    name = "commons"
    verbose_name = _("Commons: bureaus and governance")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import data_export, leaving, lookups, membership_votes, resources
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
        lookups.register()
        data_export.register()
        membership_votes.register()
        leaving.register()
        resources.register()
