"""Email addresses are stored in lower case, whoever creates the account (sign-up, admin, shell).

allauth looks addresses up in lower case; an account created in the Wagtail admin as
« Camille@Example.org » could otherwise never sign in.
"""

from django.conf import settings
from django.db.models.signals import pre_save
from django.dispatch import receiver


@receiver(pre_save, sender=settings.AUTH_USER_MODEL)
def lowercase_email(sender, instance, raw: bool = False, **kwargs) -> None:
    if not raw and instance.email:
        instance.email = instance.email.strip().lower()
