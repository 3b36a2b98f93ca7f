"""Words stored as codes (roles, statuses, kinds) that pages translate with ``_(code)``.

Listed here only so that ``pybabel extract`` puts them in the dashboard catalog.
"""

from __future__ import annotations

from bot.core.texts import N_

# TRANSLATORS: dashboard roles, shown beside the signed-in identifier and in the user list.
ROLES = (N_("admin"), N_("officer"), N_("partner"), N_("editor"))
# TRANSLATORS: statuses of a watch-committee report.
REPORT_STATUSES = (N_("received"), N_("verified"), N_("rejected"), N_("duplicate"),
                   N_("withdrawn"))
# TRANSLATORS: how one report relates to another.
LINK_KINDS = (N_("corroborates"), N_("corrects"))
# TRANSLATORS: how precise a report's event time is: a moment, a day, or assumed (none given).
PRECISIONS = (N_("time"), N_("day"), N_("assumed"))
# TRANSLATORS: the two free texts of a report: the member's description and the raw SMS.
FREE_TEXTS = (N_("description"), N_("raw"))
# TRANSLATORS: statuses of an idea-box submission.
IDEA_STATUSES = (N_("review"), N_("discussed"), N_("acted"), N_("declined"))
# TRANSLATORS: idea-box themes.
THEMES = (N_("information"), N_("safety"), N_("return"), N_("women_children"),
          N_("coordination"), N_("other"))
# TRANSLATORS: states of an outgoing message in the outbox.
OUTBOX_STATUSES = (N_("pending"), N_("sending"), N_("sent"), N_("failed"), N_("rerouted"))
# TRANSLATORS: kinds of digest sent to the SP/CCM (operations page).
DIGEST_KINDS = (N_("daily"), N_("weekly"))
# TRANSLATORS: statuses of a watch-committee member (committees page).
MEMBER_STATUSES = (N_("active"), N_("revoked"), N_("moved"))
# TRANSLATORS: what a recipient receives: urgent alerts, the daily and the weekly digest.
SUBSCRIPTIONS = (N_("alerts"), N_("daily"), N_("weekly"))
# TRANSLATORS: kinds of service listed at a point (content page).
SERVICE_KINDS = (N_("emergency"), N_("police"), N_("ambulance"), N_("fire"), N_("hotline"),
                 N_("transit_centre"), N_("health"), N_("red_cross"), N_("unhcr"), N_("legal"),
                 N_("ngo"))
# TRANSLATORS: a service that serves the whole country rather than one point.
NATIONAL = N_("national")
# TRANSLATORS: a watch committee's "nothing to report" (RAS), among report categories.
NOTHING = N_("nothing")
