"""Quotes in a report: which excerpts may be quoted, and who they are attributed to.

An excerpt may be quoted while its source is shown at all (the `observation` or `interview` consent,
`consented()`) **and** its party consents to `quotation` — for an interview, the informant and their
collective both (`ConsentRecord.objects.given_for`, through `consented(scope=...)`: the rule's one
home). The chooser lists only those; the report page asks again on every render, for all its quotes
in one pass per request (`quotable_for`), so a withdrawal removes the quote from the public page at
once. Attribution is pseudonymised: the collective's code, legal form and sector (« C-07, association
loi 1901, secteur culture »), never a real name, never an informant's pseudonym.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from .models import Excerpt, Interview, Observation

QUOTATION = "quotation"


def quotable_q(study_ids=None) -> Q:
    """Excerpts whose source is shown and whose party consents to be quoted (of `study_ids` if given)."""
    observations = Observation.objects.consented().consented(scope=QUOTATION)
    interviews = Interview.objects.consented().consented(scope=QUOTATION)
    if study_ids is not None:
        observations, interviews = (
            observations.filter(study__in=study_ids),
            interviews.filter(study__in=study_ids),
        )
    return Q(observation__in=observations.values("pk")) | Q(interview__in=interviews.values("pk"))


def quotable_excerpts(study_ids=None) -> QuerySet:
    """The quotable excerpts, with what their attribution needs (one query)."""
    return Excerpt.objects.filter(quotable_q(study_ids)).select_related(
        "observation__collective", "interview__informant__collective"
    )


def collective_of(excerpt: Excerpt):
    if excerpt.observation_id:
        return excerpt.observation.collective
    return excerpt.interview.informant.collective


def attribution(excerpt: Excerpt) -> str:
    """« C-07, association loi 1901, secteur culture »: the pseudonym code and public attributes only."""
    collective = collective_of(excerpt)
    parts = [collective.code, collective.get_legal_form_display()]
    if collective.sector:
        parts.append(_("sector %(sector)s") % {"sector": collective.sector})
    source = _("interview") if excerpt.interview_id else _("observation")
    return f"{', '.join(str(part) for part in parts if part)} ({source})"


def quotable_for(request: HttpRequest | None, excerpt_ids: Iterable[int]) -> dict[int, Excerpt]:
    """{excerpt id: excerpt} of those that may be quoted now, asked once per request.

    Cached on the request (not per quote): a page with many quotes pays one query, and two renders in
    the same request agree.
    """
    wanted = {int(pk) for pk in excerpt_ids if pk}
    cache = getattr(request, "_bec_quotable", None) if request is not None else None
    if cache is None:
        cache = {}
        if request is not None:
            request._bec_quotable = cache
    missing = wanted - set(cache)
    if missing:
        found = {excerpt.pk: excerpt for excerpt in quotable_excerpts().filter(pk__in=missing)}
        for pk in missing:
            cache[pk] = found.get(pk)
    return {pk: cache[pk] for pk in wanted if cache.get(pk) is not None}


def publishable_q(study) -> Q:
    """Observations marked « publishable » whose collective consents to be observed and quoted."""
    from .models.observations import Visibility

    ids = (
        Observation.objects.consented()
        .consented(scope=QUOTATION)
        .filter(study=study, visibility=Visibility.PUBLISHABLE)
    )
    return Q(pk__in=ids.values("pk"))


def notify_withdrawn_quotes(record) -> int:
    """Tell the coordinators of the bureau which published reports lost quotes when `record` was withdrawn.

    The quotes already left the pages (consent is asked on every render); this says so to the people
    who can propose a new version. One email per coordinator and report; returns the emails sent.
    """
    from django.core.mail import get_connection, send_mass_mail
    from django.utils.translation import override

    from commons.emails import render_email, site_url
    from commons.models import BureauPage, Membership

    from .models import StudyReportPage

    collective = record.collective if record.collective_id else record.informant.collective
    party = Q(observation__collective=collective) | Q(interview__informant__collective=collective)
    if record.informant_id:
        party = Q(interview__informant=record.informant)
    excerpt_ids = set(Excerpt.objects.filter(party).values_list("pk", flat=True))
    if not excerpt_ids:
        return 0
    emails = [
        m.user.email
        for m in Membership.objects.coordinating()
        .filter(bureau_id=collective.bureau_id)
        .select_related("user")
        if m.user.email
    ]
    messages = []
    bureau = BureauPage.objects.filter(pk=collective.bureau_id).first()
    if bureau is None:
        return 0
    for report in StudyReportPage.objects.live().descendant_of(bureau):
        quoted = {
            getattr(child.value.get("excerpt"), "pk", None)
            for child in report.body
            if child.block_type == "quote"
        }
        lost = len(quoted & excerpt_ids)
        if not lost:
            continue
        context = {
            "report": report,
            "code": collective.code,
            "count": lost,
            "link": site_url(report.url or "/"),
        }
        with override("fr"):
            subject, body = render_email("studies/email/quote_withdrawn", context)
        messages += [(subject, body, None, [email]) for email in emails]
    return send_mass_mail(messages, fail_silently=False, connection=get_connection()) if messages else 0
