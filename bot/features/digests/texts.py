"""What the SP/CCM digests say (gettext domain ``digests``: ``locales/<lang>/LC_MESSAGES/
digests.po``). Read by duty officers and partners, on Telegram (full) or SMS (a summary)."""

from __future__ import annotations

from bot.core.texts import N_, Nn_

# TRANSLATORS: first line of the daily digest. {day} is a date, e.g. 23 Nov 2026.
DAILY_TITLE = N_("Hanya daily digest for {day}")
# TRANSLATORS: first line of the weekly digest. {start} and {end} are dates.
WEEKLY_TITLE = N_("Hanya weekly digest, {start} to {end}")
# TRANSLATORS: heading of the urgent reports, listed first. {n}: how many (or "<5").
URGENT_HEADING = Nn_("URGENT: {n} report", "URGENT: {n} reports")
# TRANSLATORS: one urgent report. {ref}: R-2026-00123; {category}: its category; {point}: a
# place; {people}: people concerned, like "120 people (25 women, 15 children)".
URGENT_LINE = N_("{ref} {category}, {point}: {people}")
# TRANSLATORS: heading of the reports grouped by region and category. {n}: how many.
REPORTS_HEADING = Nn_("{n} new report", "{n} new reports")
# TRANSLATORS: one group of reports. {category}: a category; {n}: number of reports;
# {people}: like "120 people (25 women, 15 children)".
REPORT_GROUP_LINE = Nn_("{category}: {n} report, {people}", "{category}: {n} reports, {people}")
# TRANSLATORS: people concerned. {total}, {women}, {children}: numbers (or "<5").
PEOPLE = N_("{total} people ({women} women, {children} children)")
# TRANSLATORS: people concerned when the reports gave no count of women and children.
PEOPLE_TOTAL = N_("{total} people")
# TRANSLATORS: people concerned when the reports counted women but not children.
PEOPLE_WOMEN = N_("{total} people ({women} women)")
# TRANSLATORS: people concerned when the reports counted children but not women.
PEOPLE_CHILDREN = N_("{total} people ({children} children)")
# TRANSLATORS: some reports of the line gave no count: {total} is what the others counted.
PEOPLE_AT_LEAST = N_("at least {total} people (not every report gave a count)")
# TRANSLATORS: no report of the line gave the number of people concerned.
PEOPLE_UNKNOWN = N_("number of people not given")
# TRANSLATORS: shown when no report arrived in the period.
NO_REPORTS = N_("No new report.")
# TRANSLATORS: region name when a report has none.
UNKNOWN_REGION = N_("Region not given")
# TRANSLATORS: committees that sent nothing for a while. {days}: a number of days;
# {names}: committee names separated by commas.
SILENT = N_("Committees silent for more than {days} days: {names}")
# TRANSLATORS: heading of the new ideas from the idea box. {n}: how many (or "<5").
IDEAS_HEADING = Nn_("Idea box: {n} new idea", "Idea box: {n} new ideas")
# TRANSLATORS: one idea. {ref}: I-2026-00042; {theme}: its theme; {text}: the idea.
IDEA_LINE = N_("{ref} [{theme}] {text}")
# TRANSLATORS: theme of an idea sent without one.
NO_THEME = N_("no theme")
# TRANSLATORS: messages Hanya could not deliver in the period. {n}: how many.
FAILURES = Nn_("Delivery failures: {n} message", "Delivery failures: {n} messages")
# TRANSLATORS: the content editors' last change was refused. {error}: file, line and problem.
CONTENT_REFUSED = N_("Content refused at reload (the last good version is served): {error}")
# TRANSLATORS: heading of the weekly indicators, this week then the previous week.
INDICATORS_HEADING = N_("Indicators (this week / previous week)")
# TRANSLATORS: indicator: inbound messages. {now} and {before}: numbers.
EXCHANGES = N_("Exchanges: {now} / {before}")
# TRANSLATORS: indicator: distinct people who wrote.
CONTACTS = N_("Unique contacts: {now} / {before}")
# TRANSLATORS: indicator: people who sent a report or an idea. {reporters}, {idea_senders}:
# this week's numbers of each.
CONTRIBUTORS = N_("Contributors: {now} / {before} (reporters {reporters}, idea senders "
                  "{idea_senders})")
# TRANSLATORS: indicator: committees that sent at least one report.
COMMITTEES_ACTIVE = N_("Committees active: {now} / {before}")
# TRANSLATORS: indicator: ideas by theme. {themes}: "theme 3, theme 2".
THEMES = N_("Idea themes: {themes}")
# TRANSLATORS: indicator: information topics served by Hanya.
REQUESTS = N_("Information requests: {now} / {before}")
# TRANSLATORS: a breakdown line under information requests. {items}: "Agadez 12, Niamey 8".
BY_REGION = N_("by region: {items}")
# TRANSLATORS: a breakdown line under information requests, by point of the route.
BY_POINT = N_("by point: {items}")
# TRANSLATORS: a breakdown line under information requests, by language.
BY_LANGUAGE = N_("by language: {items}")
# TRANSLATORS: a breakdown line under information requests, by topic.
BY_TOPIC = N_("by topic: {items}")
# TRANSLATORS: shown for an empty breakdown.
NONE = N_("none")
# TRANSLATORS: last line for partners: counts under {n} are hidden as "<{n}".
SUPPRESSED_NOTE = N_("Counts under {n} are shown as <{n}.")
# TRANSLATORS: SMS summary, daily. Keep it short. {day}: a date; {reports}, {urgent},
# {people}, {ideas}: numbers (or "<5").
SMS_DAILY = N_("Hanya {day}: {reports} reports ({urgent} urgent), {people} people, "
               "{ideas} ideas.")
# TRANSLATORS: SMS summary, weekly. {start}, {end}: dates; the rest numbers (or "<5").
SMS_WEEKLY = N_("Hanya week {start}-{end}: {reports} reports, {ideas} ideas, {exchanges} "
                "exchanges, {contacts} contacts, {requests} info requests.")
# TRANSLATORS: SMS summary, added for the core team. {n}: failed messages.
SMS_FAILURES = N_("Failed deliveries: {n}.")
# TRANSLATORS: SMS summary, added when the content was refused at reload.
SMS_CONTENT_REFUSED = N_("Content refused at reload: check the content.")

# Chart (weekly, sent as a photo on Telegram).
# TRANSLATORS: chart title. {start} and {end}: dates.
CHART_TITLE = N_("Week {start} to {end}")
# TRANSLATORS: chart legend: bars for the week of the digest.
CHART_THIS_WEEK = N_("This week")
# TRANSLATORS: chart legend: bars for the week before.
CHART_PREVIOUS_WEEK = N_("Previous week")
# TRANSLATORS: chart caption on Telegram. {start} and {end}: dates.
CHART_CAPTION = N_("Hanya indicators, {start} to {end}")
# TRANSLATORS: chart bar label (short).
CHART_EXCHANGES = N_("Exchanges")
# TRANSLATORS: chart bar label (short).
CHART_CONTACTS = N_("Unique contacts")
# TRANSLATORS: chart bar label (short).
CHART_CONTRIBUTORS = N_("Contributors")
# TRANSLATORS: chart bar label (short).
CHART_REQUESTS = N_("Information requests")
# TRANSLATORS: chart bar label (short).
CHART_REPORTS = N_("Reports")
# TRANSLATORS: chart bar label (short).
CHART_IDEAS = N_("Ideas")
