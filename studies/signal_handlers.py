"""The signal receivers of `studies`, connected once from `StudiesConfig.ready()` (Wagtail's pattern).

Kept here rather than next to the code they call, so that importing a module never connects a
receiver as a side effect, and the list of what reacts to what is in one place:

- Wagtail's `page_published` on a protocol or a report records the next numbered version (`studies.versions`);
- a withdrawn consent tells the coordinators which published reports lost quotes;
- saving a protocol or a report page assigns it its bureau's collective-decision workflow;
- saving or deleting analysed material renews the analysis cache's generation
  (`studies.analysis.cache.connect_signals`);
- a coding change recounts the codebook's tallies of the codes and parties it touched
  (`studies.tallies`): an excerpt's codes added, removed or cleared, an excerpt or a whole-note
  coding deleted, a source given to another party;
- a coding change recomputes the agreement's summaries of the observations it touched
  (`studies.agreement_summaries`): an excerpt saved, deleted or recoded (either side), an
  observation's text changed, a code or a coder deleted;
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


# --- The codebook's tallies (studies.tallies) --------------------------------------------------------


def _party_of(excerpt) -> dict[str, list[int]]:
    """The party whose tally an excerpt counts in: {"collectives": [id]} or {"informants": [id]}."""
    from .models import Interview, Observation

    if excerpt.observation_id:
        ids = Observation.objects.filter(pk=excerpt.observation_id).values_list("collective_id", flat=True)
        return {"collectives": list(ids)}
    if excerpt.interview_id:
        ids = Interview.objects.filter(pk=excerpt.interview_id).values_list("informant_id", flat=True)
        return {"informants": list(ids)}
    return {}  # an imported document: not counted


def excerpt_codes_changed(sender, instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """Codes added to, removed from or cleared off excerpts (either side of the relation)."""
    from . import tallies
    from .models import Excerpt

    if action == "pre_clear":
        codes = [instance.pk] if reverse else list(instance.codes.values_list("pk", flat=True))
        instance._tally_cleared = codes
        return
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        codes = instance._tally_cleared if action == "post_clear" else list(pk_set or ())
        party = _party_of(instance)
        if party:
            tallies.refresh(codes, **party)
        return
    # From the code's side: `code.excerpts.add(...)`; the excerpts may belong to several parties.
    excerpts = Excerpt.objects.filter(pk__in=pk_set) if pk_set is not None else None
    if excerpts is None:  # cleared from the code's side: recount the code everywhere
        tallies.refresh([instance.pk])
        return
    collectives = set(excerpts.exclude(observation=None).values_list("observation__collective_id", flat=True))
    informants = set(excerpts.exclude(interview=None).values_list("interview__informant_id", flat=True))
    tallies.refresh([instance.pk], collectives=collectives, informants=informants)


def remember_excerpt_tally(sender, instance, **kwargs) -> None:
    """Before an excerpt goes (its codes' links go with it, without signals): what to recount."""
    instance._tally = (list(instance.codes.values_list("pk", flat=True)), _party_of(instance))


def recount_deleted_excerpt(sender, instance, **kwargs) -> None:
    from . import tallies

    codes, party = getattr(instance, "_tally", ([], {}))
    if codes and party:
        tallies.refresh(codes, **party)


def remember_coded_observation(sender, instance, **kwargs) -> None:
    from .models import Observation

    ids = Observation.objects.filter(pk=instance.content_object_id).values_list("collective_id", flat=True)
    instance._tally_collectives = list(ids)


def recount_coded_observation(sender, instance, raw: bool = False, **kwargs) -> None:
    """A code applied to a whole note, or taken off it."""
    from . import tallies
    from .models import Observation

    if raw:
        return
    collectives = getattr(instance, "_tally_collectives", None)
    if collectives is None:
        collectives = Observation.objects.filter(pk=instance.content_object_id).values_list(
            "collective_id", flat=True
        )
    tallies.refresh([instance.tag_id], collectives=collectives)


def remember_party(sender, instance, raw: bool = False, **kwargs) -> None:
    """Before a source is saved: its party as stored, to see whether it moves to another one
    (known without a query when the source was loaded from the database: `CodableSource.from_db`)."""
    if raw or instance.pk is None:
        instance._tally_party = None
    elif hasattr(instance, "_loaded_party"):
        instance._tally_party = instance._loaded_party
    else:
        stored = sender.objects.filter(pk=instance.pk).values_list(sender.party_field, flat=True)
        instance._tally_party = stored.first()


def recount_moved_source(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A source given to another party: its codes are recounted for the old and the new party."""
    from . import tallies
    from .models import CodedObservation, Excerpt

    party = getattr(instance, sender.party_field)
    before = getattr(instance, "_tally_party", None)
    instance._loaded_party = party  # the next save compares with what this one stored
    if raw or created or before is None or before == party:
        return
    observation = sender._meta.model_name == "observation"
    links = Excerpt.codes.through.objects.filter(**{f"excerpt__{sender._meta.model_name}": instance})
    codes = set(links.values_list("code_id", flat=True))
    if observation:
        codes |= set(
            CodedObservation.objects.filter(content_object=instance).values_list("tag_id", flat=True)
        )
    tallies.refresh(codes, **{"collectives" if observation else "informants": [before, party]})


def connect_tallies() -> None:
    from django.db.models.signals import m2m_changed, post_delete, pre_delete, pre_save

    from .models import CodedObservation, Excerpt, Interview, Observation

    m2m_changed.connect(
        excerpt_codes_changed, sender=Excerpt.codes.through, dispatch_uid="studies.tallies.codes"
    )
    pre_delete.connect(remember_excerpt_tally, sender=Excerpt, dispatch_uid="studies.tallies.excerpt.pre")
    post_delete.connect(recount_deleted_excerpt, sender=Excerpt, dispatch_uid="studies.tallies.excerpt.post")
    pre_delete.connect(
        remember_coded_observation, sender=CodedObservation, dispatch_uid="studies.tallies.coded.pre"
    )
    post_save.connect(
        recount_coded_observation, sender=CodedObservation, dispatch_uid="studies.tallies.coded.save"
    )
    post_delete.connect(
        recount_coded_observation, sender=CodedObservation, dispatch_uid="studies.tallies.coded.del"
    )
    for model in (Observation, Interview):
        uid = f"studies.tallies.{model._meta.model_name}"
        pre_save.connect(remember_party, sender=model, dispatch_uid=f"{uid}.pre")
        post_save.connect(recount_moved_source, sender=model, dispatch_uid=f"{uid}.post")
# --- The agreement's summaries (studies.agreement_summaries) ---------------------------------------


def recompute_excerpt_observation(sender, instance, raw: bool = False, **kwargs) -> None:
    """An excerpt saved (spans, coder, review flag) or deleted: its observation's rows."""
    from . import agreement_summaries

    if not raw and instance.observation_id:
        agreement_summaries.refresh([instance.observation_id])


def remember_recoded_observations(sender, instance, action: str, reverse: bool, **kwargs) -> None:
    """Before codes are cleared off a code's excerpts: which observations they were in."""
    if action == "pre_clear" and reverse:
        instance._agreement_observations = list(
            instance.excerpts.exclude(observation=None).values_list("observation_id", flat=True)
        )


def recompute_recoded_observations(
    sender, instance, action: str, reverse: bool, pk_set, **kwargs
) -> None:
    """Codes added to, removed from or cleared off excerpts (either side of the relation)."""
    from . import agreement_summaries
    from .models import Excerpt

    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        if instance.observation_id:
            agreement_summaries.refresh([instance.observation_id])
        return
    if action == "post_clear":
        agreement_summaries.refresh(getattr(instance, "_agreement_observations", ()))
        return
    excerpts = Excerpt.objects.filter(pk__in=pk_set or ()).exclude(observation=None)
    agreement_summaries.refresh(excerpts.values_list("observation_id", flat=True))


def recompute_edited_observation(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """An observation saved: when its length changed (a00 and the clipping of spans) or it was given
    to another collective (whose consent its rows now follow), its rows."""
    from . import agreement_summaries
    from .models import ObservationCoder

    if raw or created:
        return
    rows = ObservationCoder.objects.filter(observation=instance)
    stale = rows.exclude(length=len(instance.plain_text or ""), collective_id=instance.collective_id)
    if stale.exists():
        agreement_summaries.refresh([instance.pk])


def remember_coded_with(sender, instance, **kwargs) -> None:
    """Before a code goes (its links and rows go with it, without signals): where it was used."""
    from .models import CoderCoverage

    rows = CoderCoverage.objects.filter(code=instance).order_by()
    instance._agreement_observations = list(rows.values_list("observation_id", flat=True).distinct())


def recompute_coded_with(sender, instance, **kwargs) -> None:
    """A code or a coder deleted: the observations remembered before are recomputed (the pairs'
    disagreement no longer counts the code; the other coders' rows, one rater less)."""
    from . import agreement_summaries

    agreement_summaries.refresh(getattr(instance, "_agreement_observations", ()))


def remember_coders_observations(sender, instance, **kwargs) -> None:
    """Before a user goes (their rows cascade, their excerpts lose their coder without a signal):
    the observations they coded, whose other coders' rows count them among the raters."""
    from .models import ObservationCoder

    rows = ObservationCoder.objects.filter(coder=instance).order_by()
    instance._agreement_observations = list(rows.values_list("observation_id", flat=True))


def connect_agreement_summaries() -> None:
    from django.db.models.signals import m2m_changed, pre_delete

    from .models import Code, Excerpt, Observation

    uid = "studies.agreement_summaries"
    post_save.connect(recompute_excerpt_observation, sender=Excerpt, dispatch_uid=f"{uid}.excerpt.save")
    post_delete.connect(recompute_excerpt_observation, sender=Excerpt, dispatch_uid=f"{uid}.excerpt.delete")
    links = Excerpt.codes.through
    m2m_changed.connect(remember_recoded_observations, sender=links, dispatch_uid=f"{uid}.pre")
    m2m_changed.connect(recompute_recoded_observations, sender=links, dispatch_uid=f"{uid}.codes")
    post_save.connect(recompute_edited_observation, sender=Observation, dispatch_uid=f"{uid}.observation")
    pre_delete.connect(remember_coded_with, sender=Code, dispatch_uid=f"{uid}.code.pre")
    post_delete.connect(recompute_coded_with, sender=Code, dispatch_uid=f"{uid}.code.post")
    from django.conf import settings

    user = settings.AUTH_USER_MODEL
    pre_delete.connect(remember_coders_observations, sender=user, dispatch_uid=f"{uid}.user.pre")
    post_delete.connect(recompute_coded_with, sender=user, dispatch_uid=f"{uid}.user.post")


def connect_page_cache() -> None:
    """Cached public pages are out of date when a version is recorded, or quoted material changes
    (`commons.page_cache`: consent itself is checked on every hit of a page with quotes)."""
    from commons import page_cache

    from .models import AITool, Excerpt, Interview, Observation, ProtocolVersion, ReportVersion

    for model in (ProtocolVersion, ReportVersion, Excerpt, Observation, Interview, AITool):
        uid = f"studies.page_cache.{model._meta.label_lower}"
        post_save.connect(page_cache.changed, sender=model, dispatch_uid=f"{uid}.save")
        post_delete.connect(page_cache.changed, sender=model, dispatch_uid=f"{uid}.delete")


def register_signal_handlers() -> None:
    connect_tallies()
    connect_agreement_summaries()
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
