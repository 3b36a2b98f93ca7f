"""User-facing strings of watch committees, reports, SOS and alerts (gettext domain "reports").

The msgid is the English text. Words in capitals are keywords: each translation uses that
language's FIRST word in content/keywords.yaml (REPORT -> RAPPORT in French). Placeholders in
{braces} must be kept as they are.
"""

from __future__ import annotations

from bot.core.texts import N_, Nn_

# --- enrolment (JOIN) ------------------------------------------------------------------------
# TRANSLATORS: after a successful JOIN <code>. {committee} is the committee's name, {point} its
# place. REPORT, NOTHING TO REPORT, SOS and LANGUAGE are keywords of this language.
JOINED = N_(
    "Welcome to the watch committee {committee} ({point}). Send REPORT to report an incident, "
    "NOTHING TO REPORT when all is calm, SOS in an emergency. LANGUAGE changes the language.")
# TRANSLATORS: the person sent JOIN with an already active membership of the same committee.
ALREADY_MEMBER = N_("You are already a member of the watch committee {committee}.")
# TRANSLATORS: a wrong, expired or already used enrolment code. Do not say which: the answer
# must not reveal whether a code ever existed.
BAD_CODE = N_("This code is not valid. Check it, or ask the SP/CCM for a new code.")
# TRANSLATORS: JOIN without a code. JOIN is the keyword of this language; K7P4XM2Q is an
# example code, keep it as it is.
JOIN_HOWTO = N_("Send JOIN followed by your code, for example: JOIN K7P4XM2Q")
# TRANSLATORS: someone who is not an enrolled committee member sent REPORT, NOTHING TO REPORT
# or CANCEL. JOIN and SOS are keywords of this language.
NOT_A_MEMBER = N_(
    "Only members of a watch committee can send reports. Ask your committee or the SP/CCM for "
    "an enrolment code, then send JOIN and the code. In an emergency, send SOS.")

# --- report by one SMS -----------------------------------------------------------------------
# TRANSLATORS: confirmation of a report. {reference} is like R-2026-00123, {summary} what was
# understood (place, kind, people). CANCEL is the keyword of this language.
RECEIVED = N_("Received {reference}: {summary}. To withdraw it: CANCEL {reference}")
# TRANSLATORS: total of people in a report summary.
PEOPLE = Nn_("{count} person", "{count} people")
# TRANSLATORS: a report summary when the number of people is not known.
PEOPLE_UNKNOWN = N_("number unknown")
# TRANSLATORS: after the number of people: {parts} lists women and children counts.
INCLUDING = N_("incl. {parts}")
# TRANSLATORS: short count of women in a summary (W = women), {count} a number.
WOMEN_SHORT = N_("{count} W")
# TRANSLATORS: short count of children in a summary (C = children), {count} a number.
CHILDREN_SHORT = N_("{count} C")
# TRANSLATORS: the day of the event in a summary; {date} is a date.
ON_DAY = N_("on {date}")
# TRANSLATORS: added to a confirmation when the report corrects an earlier one ({reference}).
CORRECTS = N_("It replaces {reference}.")
# TRANSLATORS: added to a confirmation of an urgent report.
URGENT_ALERTED = N_("Urgent: the SP/CCM duty team has been alerted.")
# TRANSLATORS: a report SMS that could not be read. {problems} says what is wrong.
NOT_RECORDED = N_("Report not recorded: {problems}.")
# TRANSLATORS: followed by a correct report SMS in this language.
EXAMPLE = N_("Example: {example}")
# TRANSLATORS: the free-text part of the example report SMS (a few words about the situation).
EXAMPLE_FREE_TEXT = N_("no water")
# TRANSLATORS: the kinds of incident a member can name; {kinds} is a list of keywords.
KINDS = N_("Kinds: {kinds}")
# TRANSLATORS: REPORT sent alone by SMS: how to write a report. {example} is a correct SMS.
# REPORT is the keyword of this language; W and C as in the example.
SMS_HOWTO = N_(
    "To report in one SMS, write: {example} (place, kind, number of people, then women W and "
    "children C, a date like 14/03 and a few words).")
# TRANSLATORS: what is wrong in a report SMS; several are joined with commas.
PROBLEM_EMPTY = N_("the report is empty")
# TRANSLATORS: what is wrong in a report SMS.
PROBLEM_PLACE_MISSING = N_("the place is missing")
# TRANSLATORS: what is wrong in a report SMS; {word} is the word the member wrote.
PROBLEM_PLACE_UNKNOWN = N_("the place {word} is not known")
# TRANSLATORS: what is wrong in a report SMS.
PROBLEM_CATEGORY_MISSING = N_("the kind of incident is missing")
# TRANSLATORS: what is wrong in a report SMS; {word} is the word the member wrote.
PROBLEM_CATEGORY_UNKNOWN = N_("{word} is not a kind of incident")
# TRANSLATORS: what is wrong in a report SMS. "?" stays as it is.
PROBLEM_TOTAL_MISSING = N_("the number of people is missing (write ? if unknown)")
# TRANSLATORS: what is wrong in a report SMS.
PROBLEM_COUNTS = N_("there are more women or children than people in total")
# TRANSLATORS: what is wrong in a report SMS; {word} is the date the member wrote.
PROBLEM_DATE_INVALID = N_("the date {word} does not exist")
# TRANSLATORS: what is wrong in a report SMS; {word} is the date the member wrote.
PROBLEM_DATE_FUTURE = N_("the date {word} is in the future")
# TRANSLATORS: what is wrong in a report SMS; {word} is a second place the member wrote.
PROBLEM_PLACE_TWICE = N_("{word} is a second place (one report per place)")
# TRANSLATORS: what is wrong in a report SMS; {word} is a second kind the member wrote.
PROBLEM_CATEGORY_TWICE = N_("{word} is a second kind (one report per kind)")
# TRANSLATORS: after a report SMS that was not recorded: what was read all the same.
# {parts} is a list like "Assamaka, expulsion, 10 people".
UNDERSTOOD = N_("Understood: {parts}.")

# --- nothing to report, cancel ---------------------------------------------------------------
# TRANSLATORS: answer to NOTHING TO REPORT. {reference} like R-2026-00123, {point} a place.
NOTHING_RECORDED = N_("Noted {reference}: nothing to report at {point}. Thank you.")
# TRANSLATORS: answer to CANCEL <reference>.
WITHDRAWN = N_("Report {reference} is withdrawn.")
# TRANSLATORS: CANCEL with a reference that is not one of the member's reports.
CANCEL_NOT_FOUND = N_("No report {reference} of yours was found.")
# TRANSLATORS: CANCEL without a reference. CANCEL is the keyword of this language.
CANCEL_HOWTO = N_("To withdraw a report, send CANCEL and its reference, e.g. CANCEL R-2026-00123")

# --- the Telegram report form ----------------------------------------------------------------
# TRANSLATORS: first question of the report form; buttons with the kinds of incident follow.
ASK_CATEGORY = N_("What happened? Choose the kind of incident:")
# TRANSLATORS: report form: where it happened; buttons follow.
ASK_PLACE = N_("Where did it happen?")
# TRANSLATORS: report form button: a place other than the committee's.
OTHER_PLACE = N_("Another place")
# TRANSLATORS: report form: the list of places follows.
ASK_OTHER_PLACE = N_("Choose the place:")
# TRANSLATORS: report form: when it happened; buttons follow.
ASK_WHEN = N_("When did it happen?")
# TRANSLATORS: report form button: it is happening now.
WHEN_NOW = N_("Now")
# TRANSLATORS: report form button.
WHEN_TODAY = N_("Today")
# TRANSLATORS: report form button.
WHEN_YESTERDAY = N_("Yesterday")
# TRANSLATORS: report form button: the member will type a date.
WHEN_OTHER = N_("Another date")
# TRANSLATORS: report form: the member types the date. Keep 14/03 as it is.
ASK_DATE = N_("Type the date as day/month, for example 14/03.")
# TRANSLATORS: report form: the typed date cannot be read or is in the future.
BAD_DATE = N_("This date is not valid or is in the future. Type it as day/month, e.g. 14/03.")
# TRANSLATORS: report form.
ASK_TOTAL = N_("How many people in total? Type a number, or tap Unknown.")
# TRANSLATORS: report form.
ASK_WOMEN = N_("How many of them are women? Type a number, or tap Unknown.")
# TRANSLATORS: report form.
ASK_CHILDREN = N_("How many of them are children? Type a number, or tap Unknown.")
# TRANSLATORS: report form button: the number is not known.
UNKNOWN = N_("Unknown")
# TRANSLATORS: report form: the answer to a count question was not a number.
BAD_COUNT = N_("Please type a number (for example 12), or tap Unknown.")
# TRANSLATORS: report form: women or children counted above the total {total}.
COUNT_ABOVE_TOTAL = N_("That is more than the total ({total}). Type the number again.")
# TRANSLATORS: report form: a short free description; ask for no names of people.
ASK_DESCRIPTION = N_("Describe what you saw in a few words (no names, please), or tap Skip.")
# TRANSLATORS: report form button: go on without answering.
SKIP = N_("Skip")
# TRANSLATORS: report form: an optional photo or voice note.
ASK_MEDIA = N_("You can add one photo or one voice note, or tap Skip.")
# TRANSLATORS: report form: heading of the summary to check before sending.
CHECK_SUMMARY = N_("Please check your report:")
# TRANSLATORS: a line of the report summary; {value} the kind of incident.
LINE_CATEGORY = N_("Kind: {value}")
# TRANSLATORS: a line of the report summary; {value} a place.
LINE_PLACE = N_("Place: {value}")
# TRANSLATORS: a line of the report summary; {value} a date (and time).
LINE_WHEN = N_("When: {value}")
# TRANSLATORS: a line of the report summary; {value} the numbers of people.
LINE_PEOPLE = N_("People: {value}")
# TRANSLATORS: a line of the report summary; {value} the member's description.
LINE_DESCRIPTION = N_("Description: {value}")
# TRANSLATORS: a line of the report summary: a photo is attached.
LINE_PHOTO = N_("Photo attached")
# TRANSLATORS: a line of the report summary: a voice note is attached.
LINE_VOICE = N_("Voice note attached")
# TRANSLATORS: report form button: send the report.
SEND = N_("Send")
# TRANSLATORS: report form button: drop the report.
CANCEL_BUTTON = N_("Cancel")
# TRANSLATORS: report form: the answer to the summary was neither button.
SEND_OR_CANCEL = N_("Tap Send or Cancel.")
# TRANSLATORS: report form confirmation; {reference} like R-2026-00123.
FORM_RECEIVED = N_("Thank you. Report received: {reference}.")
# TRANSLATORS: the report form was cancelled (button or CANCEL).
FORM_CANCELLED = N_("Report cancelled: nothing was recorded.")

# --- SOS -------------------------------------------------------------------------------------
# TRANSLATORS: first line of the answer to SOS; the emergency numbers follow.
SOS_CALL = N_("If a life is in danger, call one of these numbers now:")
# TRANSLATORS: answer to SOS, after the numbers; {point} is a place. Say plainly what happens:
# the team was told, it has neither the number nor the name, it cannot call back.
SOS_ALERTED = N_(
    "What happens now: we have told the migration coordination team (SP/CCM) that someone at "
    "{point} needs help. They do not have your number or your name, so they cannot call you "
    "back. Call one of the numbers above yourself.")
# TRANSLATORS: answer to SOS when the place is not known. SOS and AGADEZ stay as they are.
SOS_ALERTED_NO_POINT = N_(
    "What happens now: we have told the migration coordination team (SP/CCM) that someone "
    "needs help. They do not have your number or your name, so they cannot call you back. "
    "Call one of the numbers above yourself. To tell them where you are, send SOS and your "
    "place, e.g. SOS AGADEZ.")
# TRANSLATORS: SMS answer to SOS, after the numbers (short: the SMS must stay small). Say that
# the team was told but cannot call back.
SOS_ALERTED_SHORT = N_("We told the SP/CCM team. They cannot call you back: call a number above.")
# TRANSLATORS: SMS answer to SOS when the place is unknown. SOS and AGADEZ stay as they are.
SOS_WHERE_SHORT = N_("Send SOS and your place, e.g. SOS AGADEZ.")

# --- alerts to the SP/CCM duty recipients ----------------------------------------------------
# TRANSLATORS: alert to SP/CCM staff. {reference} like R-2026-00123, {category} a kind of
# incident, {point} a place, {region} its region, {people} the counts, {when} event date/time,
# {committee} the reporting committee.
ALERT_REPORT = N_(
    "URGENT {reference}: {category} at {point} ({region}). {people}. Event: {when}. "
    "Committee: {committee}.")
# TRANSLATORS: added to an urgent alert when another committee reported the same.
ALERT_CORROBORATED = N_("Also reported by another committee.")
# TRANSLATORS: alert to SP/CCM staff. {point} a place, {region} its region, {when} date and
# time. No other information is given on purpose.
ALERT_SOS = N_("SOS at {point} ({region}), {when}. The person received the emergency numbers.")
# TRANSLATORS: alert to SP/CCM staff when the place of the SOS is unknown; {when} date/time.
ALERT_SOS_NO_POINT = N_("SOS, place unknown, {when}. The person received the emergency numbers.")
