from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StudiesConfig(AppConfig):
    name = "studies"
    verbose_name = _("Studies")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import codebook_votes, data_export, leaving
        from .signal_handlers import register_signal_handlers

        register_signal_handlers()
        data_export.register()
        codebook_votes.register()
        leaving.register()
