"""`{% grid_answers observation %}`: an observation's answers to the grid it was logged under."""

from __future__ import annotations

from django import template

from ..grid import displayed_answers

register = template.Library()


@register.inclusion_tag("studies/includes/grid_answers.html")
def grid_answers(observation) -> dict:
    version = observation.protocol_version
    return {
        "version": version,
        "answers": displayed_answers(version.grid if version else [], observation.grid_answers),
    }
