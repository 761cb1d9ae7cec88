"""The coded plain text keeps its paragraphs and line breaks; existing excerpts move to the same words.

`commons.markup.plain_text` used to collapse every run of whitespace into one space, so the coding
view joined paragraphs, list items and speaker turns. It now keeps line breaks, which shifts the
offsets after the first break: `move_plain_text_to_line_breaks` recomputes each observation's and
interview's plain text and moves its excerpts onto the same words (`studies.anchoring.move_to_line_breaks`).
"""

from bisect import bisect_left, bisect_right

from django.db import migrations

BATCH = 500


def _sources(apps):
    return ((apps.get_model("studies", "Observation"), "body", "observation"),
            (apps.get_model("studies", "Interview"), "transcript", "interview"))


def move_plain_text_to_line_breaks(apps, schema_editor=None) -> None:
    """Recompute every source's plain text with its line breaks; move its excerpts to the same words.

    Why a function of its own: the test calls it directly on rows built with the old plain text.
    """
    from commons.markup import plain_text
    from studies.anchoring import move_to_line_breaks

    Excerpt = apps.get_model("studies", "Excerpt")
    for model, text_field, link in _sources(apps):
        ids = list(model.objects.order_by("pk").values_list("pk", flat=True))
        for at in range(0, len(ids), BATCH):
            batch = model.objects.filter(pk__in=ids[at : at + BATCH])
            sources = list(batch.only("pk", text_field, "plain_text"))
            excerpts: dict[int, list] = {}
            for excerpt in Excerpt.objects.filter(**{f"{link}_id__in": ids[at : at + BATCH]}).order_by("pk"):
                excerpts.setdefault(getattr(excerpt, f"{link}_id"), []).append(excerpt)
            changed_sources, changed_excerpts = [], []
            for source in sources:
                new_text = plain_text(getattr(source, text_field))
                if new_text == source.plain_text:
                    continue
                moved = move_to_line_breaks(excerpts.get(source.pk, []), source.plain_text, new_text)
                changed_excerpts += moved
                source.plain_text = new_text
                changed_sources.append(source)
            model.objects.bulk_update(changed_sources, ["plain_text"])
            Excerpt.objects.bulk_update(changed_excerpts, ["start", "end", "text", "needs_review"])


def back_to_one_line(apps, schema_editor=None) -> None:
    """The reverse: plain texts on one line again, excerpts back on the same words."""
    from studies.anchoring import _collapsed_map

    Excerpt = apps.get_model("studies", "Excerpt")
    for model, _text_field, link in _sources(apps):
        for source in model.objects.only("pk", "plain_text").iterator(chunk_size=BATCH):
            collapsed, starts, ends = _collapsed_map(source.plain_text)
            if collapsed == source.plain_text:
                continue
            excerpts = list(Excerpt.objects.filter(**{link: source}))
            for excerpt in excerpts:
                excerpt.start = min(bisect_left(ends, excerpt.start + 1), len(collapsed))
                end = min(bisect_right(starts, excerpt.end - 1), len(collapsed))
                excerpt.end = max(end, excerpt.start + 1)
                if not excerpt.needs_review:
                    excerpt.text = collapsed[excerpt.start : excerpt.end]
            model.objects.filter(pk=source.pk).update(plain_text=collapsed)
            Excerpt.objects.bulk_update(excerpts, ["start", "end", "text"])


class Migration(migrations.Migration):
    dependencies = [
        ("studies", "0005_analysis_index"),
    ]

    operations = [
        migrations.RunPython(move_plain_text_to_line_breaks, back_to_one_line),
    ]
