"""The bureau-scoped admin of `participants`: collectives, informants, consent forms and records.

`scoping` says which objects a person manages (the bureaus they coordinate), `forms` limits every
choice to them, `viewsets` builds the « Participants » menu; `commons.wagtail_hooks` registers it all.
"""
