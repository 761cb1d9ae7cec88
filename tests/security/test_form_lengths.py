"""Every form field that fills a model column accepts no more than the column holds (issue 10, item 10).

The invitation form accepted a 307-character address for a 254-character column: SQLite stored it,
PostgreSQL would have answered 500. The walk below imports every module of the three apps, finds
every form class they define, and compares each text field with the column it fills: model forms
through their model, plain forms through `PLAIN_FORMS`. A new plain form with text fields must be
added there (or to `NO_COLUMN`), so nobody forgets the rule.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from django import forms
from django.core.exceptions import FieldDoesNotExist

from commons.forms import InvitationForm

APPS = ("participants", "commons", "studies", "bec_site")

#: Plain forms (not model forms) and the model whose columns their text fields fill (same names).
PLAIN_FORMS = {
    "commons.forms.members.InvitationForm": ("commons", "Invitation"),
    "commons.forms.proposals.ProposalForm": ("commons", "Proposal"),
    "commons.forms.proposals.CommentForm": ("commons", "Comment"),
    "participants.forms.SignupProfileForm": ("participants", "MemberProfile"),
    "studies.forms.codebook.CodeForm": ("studies", "Code"),
    "studies.forms.coding.MemoForm": ("studies", "Memo"),
    "studies.forms.coding.ExcerptForm": ("studies", "Excerpt"),
    "studies.forms.assessments.AnswerForm": ("studies", "Answer"),
    "studies.forms.assessments.EvidenceForm": ("studies", "Evidence"),
}
#: Plain forms whose text fields fill no column (search boxes, hidden check values).
NO_COLUMN = {
    "studies.forms.observations.ObservationFilterForm",
    "studies.forms.observations.ObservationEditForm",
    "studies.analysis.filters.FilterForm",  # the analysis pages' filters (GET)
    "commons.forms.library.LibraryFilterForm",  # the library's filters (GET)
    "commons.forms.resources.ResourceFilterForm",  # the resources' filters (GET)
    "commons.forms.library.ReferenceConfirmForm",  # the previewed file, re-read on confirmation
}


def _modules():
    for app in APPS:
        package = importlib.import_module(app)
        yield package
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if any(part in info.name for part in (".migrations", ".management", ".settings", "wsgi", "asgi")):
                continue
            yield importlib.import_module(info.name)


def _form_classes() -> dict[str, type]:
    found = {}
    for module in _modules():
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return found


def _model(form_path: str, cls: type):
    from django.apps import apps

    meta = getattr(cls, "_meta", None)
    if getattr(meta, "model", None) is not None:
        return meta.model
    if form_path in PLAIN_FORMS:
        return apps.get_model(*PLAIN_FORMS[form_path])
    return None


def _text_fields(cls: type) -> dict[str, forms.CharField]:
    return {name: field for name, field in cls.base_fields.items() if isinstance(field, forms.CharField)}


def test_the_walk_finds_the_forms():
    classes = _form_classes()
    for path in ("commons.forms.members.InvitationForm", "studies.forms.observations.ObservationForm",
                 "studies.forms.interviews.InterviewForm", "participants.forms.ProfileForm"):
        assert path in classes, path


def test_every_plain_form_with_text_fields_is_mapped_to_its_model():
    unmapped = [
        path for path, cls in _form_classes().items()
        if _text_fields(cls) and _model(path, cls) is None and path not in NO_COLUMN
        and not path.startswith("participants.formfields")
    ]
    assert not unmapped, f"add these forms to PLAIN_FORMS or NO_COLUMN: {unmapped}"


def test_no_text_field_accepts_more_than_its_column():
    too_long = []
    for path, cls in _form_classes().items():
        model = _model(path, cls)
        if model is None:
            continue
        for name, field in _text_fields(cls).items():
            try:
                column = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            limit = getattr(column, "max_length", None)
            if limit is not None and (field.max_length is None or field.max_length > limit):
                too_long.append(f"{path}.{name}: form {field.max_length}, column {limit}")
    assert not too_long, "\n".join(too_long)


@pytest.mark.django_db
def test_the_invitation_form_refuses_an_address_longer_than_the_column(bureau):
    address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".org"  # 307 characters, valid otherwise
    assert len(address) > 254
    form = InvitationForm({"email": address, "role": "observer"}, bureau=bureau)
    assert not form.is_valid()
    assert "email" in form.errors
    shorter = "a" * 64 + "@" + ".".join(["b" * 60] * 2) + ".org"
    assert InvitationForm({"email": shorter, "role": "observer"}, bureau=bureau).is_valid()
