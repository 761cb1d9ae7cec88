"""Study reports: blocks, frozen figures, consented quotes, publication by the bureau's vote."""

from __future__ import annotations

from html import unescape

import pytest
from django.test import Client

from commons.models.governance import ProposalKind, Status
from commons.rules import ensure_default_rules, rule_for
from studies.models import ReportVersion, StudyReportPage
from tests.studies.report_helpers import (
    NO_QUOTATION,
    code,
    coded_note,
    figure,
    make_report,
    quote,
    submit,
    withdraw,
)

pytestmark = pytest.mark.django_db


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def vote_all(bureau, proposal, people) -> None:
    for key in ("member", "coordinator"):
        response = logged_in(people[key]).post(
            f"{bureau.url}proposals/{proposal.pk}/vote/", {"choice": "for", "reason": ""}
        )
        assert response.status_code == 302


@pytest.fixture
def material(bureau, study, people, make_collective):
    ensure_default_rules(bureau)
    tag = code(study)
    quoted_party = make_collective(bureau, "Le Vrai Nom Secret", sector="culture")
    silent_party = make_collective(bureau, "Autre Nom Réel", scopes=NO_QUOTATION)
    quoted = coded_note(study, quoted_party, people["member"], tag, "Nous traduisons nos affiches avec l'IA.")
    unquotable = coded_note(study, silent_party, people["member"], tag, "Texte qui ne doit jamais sortir.")
    return {"code": tag, "quoted": quoted, "unquotable": unquotable, "party": quoted_party}


def test_submit_vote_publish_frozen_figures_and_live_consent(bureau, study, people, material):
    report = make_report(
        study,
        [
            {"type": "heading", "value": "Ce que nous voyons"},
            {"type": "text", "value": "Les collectifs **traduisent**."},
            figure(),
            quote(material["quoted"], "Un usage typique."),
        ],
        user=people["member"],
    )
    proposal = submit(report, people["member"], summary="Premier rapport")
    assert proposal.kind == ProposalKind.PUBLICATION
    assert proposal.rule == rule_for(bureau, ProposalKind.PUBLICATION)
    page = unescape(logged_in(people["member"]).get(f"{bureau.url}proposals/{proposal.pk}/").content.decode())
    assert "Extraits par code" in page and "traduction" in page
    public = Client()
    assert public.get(report.url).status_code == 404  # not published before the vote
    vote_all(bureau, proposal, people)
    proposal.refresh_from_db()
    assert proposal.status == Status.ADOPTED
    version = ReportVersion.objects.get(report=report, number=1)
    assert version.decision == proposal.decision and len(version.sha256) == 64
    html = unescape(public.get(report.url).content.decode())
    assert "Nous traduisons nos affiches" in html
    assert "Le Vrai Nom Secret" not in html and "Texte qui ne doit jamais sortir" not in html
    assert f"décision n° {proposal.decision.sequence}" in html.replace("\xa0", " ")
    assert version.sha256 in html
    frozen = StudyReportPage.objects.get(pk=report.pk).frozen_figures
    (figure_data,) = [value for value in frozen.values() if value.get("table") == "codes"]
    assert figure_data["rows"] == [["traduction", 2, 2, 2]]

    # Coding goes on: the analysis page changes, the published figure does not.
    coded_note(study, material["party"], people["member"], material["code"], "Encore un usage.")
    analysis = unescape(logged_in(people["member"]).get(study.url + "analysis/codes/").content.decode())
    assert ">3<" in analysis.replace(" ", "")
    html = unescape(public.get(report.url).content.decode())
    assert '<td class="number">2</td>' in html and '<td class="number">3</td>' not in html

    # The quoted party withdraws its consent: the quote leaves the public page at once.
    withdraw(material["party"])
    html = unescape(public.get(report.url).content.decode())
    assert "Nous traduisons nos affiches" not in html
    assert "n'y consent plus" in html


def test_nobody_publishes_a_report_by_hand(bureau, study, people, material, django_user_model):
    """Superusers included, from the first version on: the bureau has its workflow."""
    report = make_report(study, [figure()], user=people["coordinator"])
    admin = django_user_model.objects.create_superuser("root", "root@example.org", "x")
    for user in (people["coordinator"], admin):
        assert not report.permissions_for_user(user).can_publish()


def _publish(report):
    """Publish the latest revision as the workflow's finish action does (for page-reading tests)."""
    revision = StudyReportPage.objects.get(pk=report.pk).latest_revision
    revision.publish(skip_permission_checks=True)
    return StudyReportPage.objects.get(pk=report.pk)


def _blocks(material, n: int) -> list[dict]:
    body = []
    for i in range(n):
        body += [
            {"type": "heading", "value": f"Partie {i}"},
            {"type": "text", "value": f"Paragraphe **{i}**."},
            figure(f"Figure {i}"),
            quote(material["quoted"]),
            quote(material["unquotable"]),
            {
                "type": "key_figures",
                "value": {"items": [{"label": "sources", "measure": "sources", "filters": ""}]},
            },
            {"type": "code", "value": {"code": "traduction"}},
            {"type": "protocol_version", "value": {"number": 1}},
            {"type": "decision", "value": {"number": 1}},
            {"type": "publishable_notes", "value": {"heading": "Notes", "limit": 3}},
        ]
    return body


def test_query_count_is_bounded_whatever_the_number_of_blocks(client, study, people, material, make_protocol):
    from tests.conftest import count_queries

    make_protocol(study, user=people["coordinator"])
    counts = []
    for n in (1, 6):
        report = _publish(
            make_report(study, _blocks(material, n), user=people["member"], slug=f"rapport-{n}")
        )
        counts.append(count_queries(client, report.url))
    assert counts[0] == counts[1], counts


def test_team_only_filters_and_dimensions_never_reach_the_figure(study, people, material):
    member = people["member"]
    filters = f"https://x/analysis/crosstab/?rows=observer&columns=legal_form&observers={member.pk}&q=secret"
    report = _publish(make_report(study, [figure("Croisé", "crosstab", filters, "stacked")], user=member))
    html = unescape(Client().get(report.url).content.decode())
    from participants.models import display_name

    assert display_name(member) not in html and "secret" not in html
    (frozen,) = StudyReportPage.objects.get(pk=report.pk).frozen_figures.values()
    from studies.analysis.crosstab import DIMENSIONS

    assert frozen["header"][0].startswith(str(DIMENSIONS["ai_tool"].label))  # « observer » refused


def test_bad_figure_filters_are_a_form_error_not_a_500(study, people, material):
    from studies.figures import FigureError, compute_figure

    with pytest.raises(FigureError):
        compute_figure(study, {"table": "codes", "filters": "?codes=999999999999&date_from=pas-une-date"})
    report = make_report(study, [figure("Mauvais", "codes", "?date_from=31-02-2026")], user=people["member"])
    (frozen,) = report.latest_revision.content["frozen_figures"].values()
    assert "error" in frozen
    assert Client().get(_publish(report).url).status_code == 200


def test_the_chooser_lists_only_quotable_excerpts_of_the_editors_bureaus(study, people, material):
    client = logged_in(people["member"])
    html = unescape(client.get("/admin/studies/excerpt-chooser/").content.decode())
    assert "Nous traduisons nos affiches" in html and "Texte qui ne doit jamais sortir" not in html
    assert (
        client.get(f"/admin/studies/excerpt-chooser/chosen/{material['unquotable'].pk}/").status_code == 404
    )
    outsider = logged_in(people["other_member"])
    html = unescape(outsider.get("/admin/studies/excerpt-chooser/").content.decode())
    assert "Nous traduisons nos affiches" not in html


def test_rejection_sends_the_report_back_and_publishes_nothing(bureau, study, people, material):
    report = make_report(study, [figure()], user=people["member"])
    proposal = submit(report, people["member"], summary="Version refusée")
    for key in ("member", "coordinator"):
        logged_in(people[key]).post(
            f"{bureau.url}proposals/{proposal.pk}/vote/", {"choice": "block", "reason": "Pas prêt."}
        )
    proposal.refresh_from_db()
    assert proposal.status == Status.REJECTED
    report = StudyReportPage.objects.get(pk=report.pk)
    assert not report.live and not ReportVersion.objects.filter(report=report).exists()


def test_versions_diff_citation_feed_and_register(bureau, study, people, material):
    report = make_report(
        study, [figure(), {"type": "text", "value": "Premier texte."}], user=people["member"]
    )
    first = submit(report, people["member"], summary="v1")
    vote_all(bureau, first, people)
    page = StudyReportPage.objects.get(pk=report.pk).get_latest_revision_as_object()
    page.body = [figure(), {"type": "text", "value": "Texte revu et augmenté."}]
    page.save_revision(user=people["member"])
    second = submit(page, people["member"], summary="v2 : texte revu")
    proposal_page = unescape(
        logged_in(people["member"]).get(f"{bureau.url}proposals/{second.pk}/").content.decode()
    )
    assert "augmenté" in proposal_page
    vote_all(bureau, second, people)
    public = Client()
    history = public.get(report.url + "versions/")
    assert history.status_code == 200
    history_html = unescape(history.content.decode())
    # The protocol's versions table, worded for a report; both versions listed with their diff links.
    assert "Versions du rapport" in history_html and "protocole" not in history_html.lower().split("<main")[-1]
    assert 'id="v1"' in history_html and 'id="v2"' in history_html and "v/2/diff/" in history_html
    diff = unescape(public.get(report.url + "v/2/diff/").content.decode())
    assert "augmenté" in diff and "Premier" in diff
    v1 = unescape(public.get(report.url + "v/1/").content.decode())
    assert "Premier texte." in v1 and "Citer ce rapport" in v1
    assert ReportVersion.objects.get(report=report, number=1).sha256 in v1
    feed = public.get(bureau.url + "feed/")
    assert feed["Content-Type"].startswith("application/atom+xml")
    assert "Premiers constats" in feed.content.decode()
    register = unescape(public.get(bureau.url + "decisions/").content.decode())
    assert report.url + "v/2/" in register
    bureau_page = unescape(public.get(bureau.url).content.decode())
    assert "Dernier rapport" in bureau_page and "Premiers constats" in bureau_page
    study_page = unescape(public.get(study.url).content.decode())
    assert "Premiers constats" in study_page


def test_withdrawal_tells_the_coordinators(
    bureau, study, people, material, mailoutbox, django_capture_on_commit_callbacks
):
    from participants.models import ConsentRecord

    _publish(make_report(study, [quote(material["quoted"])], user=people["member"]))
    record = ConsentRecord.objects.get(collective=material["party"])
    from django.utils import timezone

    record.withdrawn_at = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        record.save()
    assert [m.to for m in mailoutbox] == [[people["coordinator"].email]]
    assert "Premiers constats" in mailoutbox[0].subject
    assert "Le Vrai Nom Secret" not in mailoutbox[0].body


def test_written_and_submitted_in_the_admin(bureau, study, people, material):
    """The acceptance path through the editor: a report with a figure and a quote, « submit » in the admin."""
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    client = logged_in(people["member"])
    add = f"/admin/pages/add/studies/studyreportpage/{study.pk}/"
    assert client.get(add).status_code == 200
    data = nested_form_data(
        {
            "title": "Rapport écrit dans l'éditeur",
            "slug": "rapport-editeur",
            "kind": "interim",
            "summary": "Résumé.",
            "change_summary": "Première version.",
            "body": streamfield(
                [
                    (
                        "figure",
                        {
                            "title": "Extraits par code",
                            "table": "codes",
                            "filters": "",
                            "chart": "bar",
                            "caption": "",
                        },
                    ),
                    ("quote", {"excerpt": str(material["quoted"].pk), "comment": ""}),
                ]
            ),
            "comments": inline_formset([]),
            "action-submit": "1",
        }
    )
    response = client.post(add, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    report = StudyReportPage.objects.get(slug="rapport-editeur")
    proposal = report.current_workflow_state.current_task_state.specific.proposal
    assert proposal.kind == ProposalKind.PUBLICATION and proposal.status == Status.OPEN
    assert client.get(f"/admin/pages/{report.pk}/edit/").status_code == 200
    # An unquotable excerpt is refused by the editor, nothing saved.
    bad = nested_form_data(
        {
            "title": "Autre",
            "slug": "autre",
            "kind": "interim",
            "summary": "",
            "change_summary": "",
            "body": streamfield([("quote", {"excerpt": str(material["unquotable"].pk), "comment": ""})]),
            "comments": inline_formset([]),
        }
    )
    response = client.post(add, bad)
    assert response.status_code == 200 and not StudyReportPage.objects.filter(slug="autre").exists()
    vote_all(bureau, proposal, people)
    html = unescape(Client().get(report.url).content.decode())
    assert "Nous traduisons nos affiches" in html and "Extraits par code" in html


def test_the_editor_preview_computes_new_figures_live(study, people, material):
    from wagtail.test.utils.form_data import inline_formset, nested_form_data, streamfield

    report = make_report(study, [{"type": "text", "value": "Avant."}], user=people["member"])
    client = logged_in(people["member"])
    url = f"/admin/pages/{report.pk}/edit/preview/"
    loaded = report.latest_revision
    data = nested_form_data(
        {
            "loaded_revision_id": str(loaded.pk),
            "loaded_revision_created_at": loaded.created_at.isoformat(),
            "title": report.title,
            "slug": report.slug,
            "kind": "interim",
            "summary": "",
            "change_summary": "",
            "body": streamfield(
                [
                    (
                        "figure",
                        {
                            "title": "Aperçu des codes",
                            "table": "codes",
                            "filters": "",
                            "chart": "bar",
                            "caption": "",
                        },
                    )
                ]
            ),
            "comments": inline_formset([]),
        }
    )
    answer = client.post(url, data).json()
    assert answer["is_valid"], answer
    html = unescape(client.get(url).content.decode())
    assert "Aperçu des codes" in html and '<td class="number">2</td>' in html


def test_an_interview_is_quotable_only_with_the_informants_and_the_collectives_consent(
    study, people, material
):
    from participants.models import ConsentForm, ConsentRecord, Informant
    from studies.models import Excerpt, Interview
    from studies.quotes import quotable_excerpts

    form = ConsentForm.objects.get(bureau=material["party"].bureau)
    excerpts = {}
    for name, scopes in (("Alix", ["interview", "quotation"]), ("Sam", ["interview"])):
        informant = Informant.objects.create(collective=material["party"], pseudonym=name)
        ConsentRecord.objects.create(form=form, informant=informant, scopes=scopes)
        interview = Interview.objects.create(
            study=study,
            informant=informant,
            interviewer=people["member"],
            title="Entretien",
            mode="video",
            transcript="On rédige avec l'IA.",
        )
        excerpts[name] = Excerpt.objects.create(
            interview=interview, coder=people["member"], start=0, end=8, text=interview.plain_text[:8]
        )
    quotable = set(quotable_excerpts([study.pk]).values_list("pk", flat=True))
    assert excerpts["Alix"].pk in quotable and excerpts["Sam"].pk not in quotable
    withdraw(material["party"])  # the collective withdraws: the informant's consent is not enough
    assert excerpts["Alix"].pk not in set(quotable_excerpts([study.pk]).values_list("pk", flat=True))


def test_text_blocks_are_rendered_once_when_saved_not_on_every_view(client, study, people, material, monkeypatch):
    """Rendered Markdown is stored (DESIGN): the revision keeps each text block's HTML, sanitised by
    commons.markup when saved, and reading the published report renders nothing again."""
    report = _publish(make_report(study, [{"type": "text", "value": "Les collectifs **traduisent** <script>x()</script>."}],
                                  user=people["coordinator"]))
    text_block = next(child for child in report.body if child.block_type == "text")
    stored = report.frozen_figures[text_block.id]["html"]
    assert "<strong>traduisent</strong>" in stored and "<script" not in stored

    import studies.reports

    def must_not_render(source):
        raise AssertionError("Markdown rendered on a view")

    monkeypatch.setattr(studies.reports, "render_markdown", must_not_render)
    html = client.get(report.url).content.decode()
    assert "<strong>traduisent</strong>" in html and "<script>x()" not in html
