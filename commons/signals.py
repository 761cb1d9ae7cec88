"""Signals of the commons: what the governance actions announce.

Only the signals live here; the receivers of the app are in `commons.signal_handlers`, connected
from `CommonsConfig.ready()`, so importing this module (as `commons.actions` does) runs nothing.
"""

from django.dispatch import Signal

#: Sent after a proposal is closed and its decision recorded: kwargs `proposal`, `decision`.
#: Later apps (the protocol workflow) act on adopted proposals through it.
proposal_decided = Signal()

#: Sent when a draft or running proposal is withdrawn: kwargs `proposal`, `by`.
proposal_withdrawn = Signal()
