"""The Android gateway's words to the SP/CCM duty recipients (gettext domain ``channels``)."""

from __future__ import annotations

from bot.core.texts import N_

# TRANSLATORS: alert to SP/CCM duty staff. {phone} is the gateway phone's name as set up
# (e.g. "airtel"), {when} the date and time it last showed it was alive. Keep it short: it
# may go by SMS.
PHONE_SILENT = N_("Gateway phone {phone} silent since {when}: SMS through it may not arrive. "
                  "Check its power, network and app.")
# TRANSLATORS: alert to SP/CCM duty staff when a gateway phone that was silent answers
# again; {phone} its name.
PHONE_BACK = N_("Gateway phone {phone} is answering again.")
