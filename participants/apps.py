from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ParticipantsConfig(AppConfig):
    name = "participants"
    verbose_name = _("Participants")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import pre_save

        from . import leaving
        from .signal_handlers import lowercase_email

        leaving.register_builtin_steps()

        pre_save.connect(
            lowercase_email, sender=settings.AUTH_USER_MODEL, dispatch_uid="participants.lowercase_email"
        )

        from .permission_cache import connect_signals

        connect_signals()
