"""Issue 11 item 17: text drawn on a code's colour picks dark or white ink from the colour's luminance."""

from __future__ import annotations

import pytest

from studies.models import Code, CodedObservation, Observation
from studies.models.coding import (
    DARK_INK,
    LIGHT_INK,
    _contrast,
    _relative_luminance,
    ink_on,
    readable_colours,
)
from studies.templatetags.studies_colours import code_colours
from tests.conftest import client_for


def _rgb(hex_value: str) -> tuple[int, int, int]:
    hex_value = hex_value.lstrip("#")
    return tuple(int(hex_value[i : i + 2], 16) for i in (0, 2, 4))


@pytest.mark.parametrize("colour", ["#000000", "#ffffff", "#ffff00", "#000080", "#1d6b5f", "#e0e0e0", "#2f6fb0",
                                    "#b03a2e", "#c46a00", "#8a93a3", "#6a4c93", "#eaac8b"])
def test_ink_is_the_better_contrast_and_reads_at_aa_for_every_colour(colour):
    ink = ink_on(colour)
    background = _relative_luminance(_rgb(colour))
    chosen = _contrast(background, _relative_luminance(_rgb(ink)))
    other = _contrast(background, _relative_luminance(_rgb(LIGHT_INK if ink == DARK_INK else DARK_INK)))
    assert chosen >= other
    assert chosen >= 4.5 or colour in {"#2f6fb0", "#b03a2e", "#c46a00", "#8a93a3"}  # mid tones: best available
    assert chosen >= 3.0


def test_extremes_and_bad_input():
    assert ink_on("#000000") == LIGHT_INK and ink_on("#ffffff") == DARK_INK and ink_on("#ffff00") == DARK_INK
    assert ink_on("#000080") == LIGHT_INK
    assert ink_on("#000000", tint=0.14) == DARK_INK  # a light tint of black still takes dark ink
    assert code_colours("red; background: url(x)").startswith("--c: #1d6b5f; --c-bg: #")


@pytest.mark.parametrize("colour", ["#8e6cc0", "#d1495b", "#2f6fb0", "#c46a00", "#8a93a3", "#808080", "#00ff00",
                                    "#000000", "#ffffff", "#ff0000", "#0000ff"])
def test_readable_colours_always_reach_aa(colour):
    background, ink = readable_colours(colour)
    assert ink == ink_on(colour)
    ratio = _contrast(_relative_luminance(_rgb(background)), _relative_luminance(_rgb(ink)))
    assert ratio >= 4.5, (colour, background, ink, ratio)


@pytest.mark.django_db
def test_chips_on_pages_carry_the_ink_of_their_colour(client, bureau, study, make_collective, people):
    dark = Code.objects.create(study=study, name="Nuit", colour="#000080")
    light = Code.objects.create(study=study, name="Soleil", colour="#ffff00")
    observation = Observation.objects.create(study=study, collective=make_collective(bureau), setting="meeting",
                                             title="CA", body="Texte.")
    for code in (dark, light):
        CodedObservation.objects.create(tag=code, content_object=observation)
    client_for(client, people["member"])
    for url in (f"{study.url}observations/{observation.pk}/", f"{study.url}observations/"):
        html = client.get(url).content.decode()
        assert "--c: #000080; --c-bg: #000080; --c-ink: #ffffff" in html, url
        assert f"--c: #ffff00; --c-bg: #ffff00; --c-ink: {DARK_INK}" in html, url
