"""Email addresses are stored in lower case, whoever creates the account (sign-up, admin, shell).

allauth looks addresses up in lower case; an account created in the Wagtail admin as
« Camille@Example.org » could otherwise never sign in. Connected in `ParticipantsConfig.ready()`.
"""


def lowercase_email(sender, instance, raw: bool = False, **kwargs) -> None:
    """On `pre_save` of the user model: allauth finds an address only in the case it was stored in."""
    if not raw and instance.email:
        instance.email = instance.email.strip().lower()
