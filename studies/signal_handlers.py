"""The signal receivers of `studies`, connected once from `StudiesConfig.ready()` (Wagtail's pattern).

Kept here rather than next to the code they call, so that importing a module never connects a
receiver as a side effect, and the list of what reacts to what is in one place:

- Wagtail's `page_published` on a protocol or a report records the next numbered version (`studies.versions`);
- a withdrawn consent tells the coordinators which published reports lost quotes;
- saving a protocol or a report page assigns it its bureau's collective-decision workflow;
- saving or deleting analysed material renews the analysis cache's generation
  (`studies.analysis.cache.connect_signals`);
- a version recorded, or quoted material saved or deleted, renews the public pages' cache
  (`commons.page_cache`).
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from wagtail.models import WorkflowPage
from wagtail.signals import page_published

from .models import ProtocolPage, StudyReportPage
from .versions import record_version


def record_published_version(sender, instance, revision=None, **kwargs) -> None:
    """Every publication of a protocol is a version, whatever published it (vote or coordinator)."""
    if kwargs.get("alias") or revision is None or not isinstance(instance, ProtocolPage | StudyReportPage):
        return
    record_version(instance, revision)


def give_protocol_its_workflow(sender, instance, created: bool, raw: bool = False, **kwargs):
    """A protocol or a report is decided by its bureau: assign the bureau's collective-decision workflow."""
    if raw or WorkflowPage.objects.filter(page_id=instance.pk).exists():
        return
    workflow = instance.bureau_workflow()
    if workflow is not None:
        WorkflowPage.objects.get_or_create(page_id=instance.pk, defaults={"workflow": workflow})


def tell_coordinators_of_withdrawn_quotes(sender, instance, raw: bool = False, **kwargs) -> None:
    """A consent withdrawn: the quotes of that party left the published reports; say so to the
    bureau's coordinators (after the commit, so a rolled-back withdrawal tells nobody)."""
    from django.db import transaction
    from django.utils import timezone

    if raw or instance.withdrawn_at is None or instance.withdrawn_at > timezone.now():
        return
    from .quotes import notify_withdrawn_quotes

    transaction.on_commit(lambda: notify_withdrawn_quotes(instance))


def connect_page_cache() -> None:
    """Cached public pages are out of date when a version is recorded, or quoted material changes
    (`commons.page_cache`: consent itself is checked on every hit of a page with quotes)."""
    from commons import page_cache

    from .models import Excerpt, Interview, Observation, ProtocolVersion, ReportVersion

    for model in (ProtocolVersion, ReportVersion, Excerpt, Observation, Interview):
        uid = f"studies.page_cache.{model._meta.label_lower}"
        post_save.connect(page_cache.changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(page_cache.changed, sender=model, dispatch_uid=f"{uid}.delete")


def register_signal_handlers() -> None:
    from .analysis.cache import connect_signals

    connect_signals()
    connect_page_cache()

    from participants.models import ConsentRecord

    post_save.connect(
        tell_coordinators_of_withdrawn_quotes,
        sender=ConsentRecord,
        dispatch_uid="studies.tell_coordinators_of_withdrawn_quotes",
    )
    page_published.connect(record_published_version, dispatch_uid="studies.record_published_version")
    post_save.connect(
        give_protocol_its_workflow, sender=ProtocolPage, dispatch_uid="studies.give_protocol_its_workflow"
    )
    post_save.connect(
        give_protocol_its_workflow, sender=StudyReportPage, dispatch_uid="studies.give_report_its_workflow"
    )
