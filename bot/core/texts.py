"""Every short user-facing string of the core, marked for gettext extraction.

Long informational texts live under ``content/``; menus, prompts and errors live here and are
translated in ``locales/<lang>/LC_MESSAGES/messages.po``. The msgid is the English text; the
comment above each one is extracted for translators (``pybabel extract -c TRANSLATORS:``).
Placeholders use ``{name}`` and must be kept as they are in every translation.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark a string for extraction without translating it now."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a plural pair for extraction; translated later with ngettext."""
    return (singular, plural)


# TRANSLATORS: first line a new person sees, before choosing a language. SOS stays SOS in
# every language.
WELCOME = N_("Welcome to Hanya, the information point for people on the road. In danger? "
             "Send SOS at any time.")
# TRANSLATORS: asks the person to pick a language from the list that follows.
CHOOSE_LANGUAGE = N_("Choose your language:")
# TRANSLATORS: asks where the person is; a numbered list of places follows.
CHOOSE_POINT = N_("Where are you? Choose the nearest place:")
# TRANSLATORS: SMS only, the same question before a numbered list of places. Write it only
# with plain SMS letters (no ɓ ɗ ƙ ƴ ŋ ɲ ã): one other letter makes the whole list cost twice
# as much and pushes it behind MORE. Leave it untranslated if you cannot: the question above
# is then used.
CHOOSE_POINT_SMS = N_("Where are you? Reply with the number of the nearest place:")
# TRANSLATORS: SMS only, menu item to pick another language, in plain SMS letters only (no ɓ ɗ
# ƙ ƴ ŋ ɲ). Leave it untranslated if "Change language" already is.
CHANGE_LANGUAGE_SMS = N_("Change language (SMS)")
# TRANSLATORS: Telegram only, under the list of places.
SHARE_LOCATION_HINT = N_("You can also share your location.")
# TRANSLATORS: button that asks Telegram to share the person's location.
SHARE_LOCATION_BUTTON = N_("Share my location")
# TRANSLATORS: after a shared location. {point} is a place name, {km} a whole number.
NEAREST_POINT = N_("Nearest place: {point} (about {km} km).")
# TRANSLATORS: a shared location far from every place we know (perhaps the desert); the
# emergency numbers follow. {position} is the person's latitude, longitude: keep it as is.
FAR_FROM_POINTS = N_(
    "You are far from every place we know. If you are in danger, call one of these numbers "
    "and read out your position: {position}")
# TRANSLATORS: a shared location is too far from every place we know.
NO_POINT_NEAR = N_("No information point is near you. Choose a place from the list.")
# TRANSLATORS: the same notice, short, for SMS (each SMS costs money). Must still say what is
# kept, who sees it, for how long, and the STOP and DELETE keywords. {days}: number of days.
# Leave it untranslated rather than guess: the long notice is then sent instead.
PRIVACY_NOTICE_SMS = N_(
    "Hanya keeps your language and place for {days} days; the team sees only counts. "
    "STOP to stop, DELETE to erase."
)
# TRANSLATORS: title of the main menu. {point} is the place the person chose.
MENU_TITLE = N_("Information for {point}:")
# TRANSLATORS: button / menu item to pick another language.
CHANGE_LANGUAGE = N_("Change language")
# TRANSLATORS: button / menu item to pick another place.
CHANGE_POINT = N_("Change place")
# TRANSLATORS: button to go back to the main menu.
BACK_TO_MENU = N_("Menu")
# TRANSLATORS: button under a topic that has a voice recording: hear this topic now.
LISTEN = N_("Listen")
# TRANSLATORS: button under a topic that has a voice recording: hear every answer that has
# one from now on.
LISTEN_ALWAYS = N_("Always listen")
# TRANSLATORS: button under a recorded answer: stop sending recordings, text only.
LISTEN_OFF = N_("Text only")
# TRANSLATORS: after the person chose to always listen. "Text only" is the button's label.
LISTENING_ON = N_("You will now hear each answer that has a recording, with its text. Tap "
                  "\"Text only\" to stop.")
# TRANSLATORS: after the person chose "Text only".
LISTENING_OFF = N_("You will now get answers as text only.")
# TRANSLATORS: SMS only, after a numbered menu. MENU is a keyword, keep it in capitals.
SMS_MENU_HINT = N_("Reply with a number.")
# TRANSLATORS: a place typed with a spelling we are not sure of; {point} is the place we
# think was meant. Yes and No follow (buttons, or numbered by SMS).
CONFIRM_POINT = N_("Did you mean {point}?")
# TRANSLATORS: SMS only, at the end of a long text cut in parts. MORE is the keyword in this
# language (the same word as in the keywords list), in capitals.
SMS_MORE_HINT = N_("Reply MORE for the rest.")
# TRANSLATORS: SMS only, when the person asks for MORE but the text has ended.
NOTHING_MORE = N_("That is all. Reply MENU for the menu.")
# TRANSLATORS: the person's message matched nothing we expect.
NOT_UNDERSTOOD = N_("Sorry, I did not understand. Reply with a number from the list, or MENU.")
# TRANSLATORS: the list of words that work at any time. Keep the keywords of this language;
# SOS stays SOS in every language.
HELP = N_("Words you can send at any time: SOS in danger, MENU, BACK, LANGUAGE, PLACE, STOP, "
          "DELETE.")
# TRANSLATORS: the line after that list, so that people learn the idea box exists. {idea} is
# filled in with this language's IDEA keyword.
HELP_IDEA = N_("An idea or a suggestion? Send {idea} and your message.")
# TRANSLATORS: answer to STOP. START is the keyword in this language.
STOPPED = N_("You will not receive any more messages. Send START to come back.")
# TRANSLATORS: answer to START after STOP.
RESTARTED = N_("Welcome back.")
# TRANSLATORS: answer to DELETE. YES and NO are the keywords of this language.
DELETE_CONFIRM = N_(
    "Delete everything Hanya keeps about you (language, place)? Reply YES to delete, NO to keep."
)
# TRANSLATORS: sent once the person's data has been erased.
DELETED = N_("Everything about you has been deleted. Goodbye. Send any message to start again.")
# TRANSLATORS: the person answered NO to the deletion question.
DELETE_CANCELLED = N_("Nothing was deleted.")
# TRANSLATORS: short privacy notice on first contact. STOP and DELETE are keywords of this
# language. {days} is a number of days.
PRIVACY_NOTICE = N_(
    "Hanya keeps your language, your place and the topics you ask for, to answer you and to "
    "count use of the service. The service team only sees counts. Your messages are erased "
    "after {days} days. Send STOP to stop, DELETE to erase everything."
)
# TRANSLATORS: heading of the list of services at a place. {point} is the place name.
SERVICES_AT = N_("Services at {point}:")
# TRANSLATORS: there is no service recorded at this place.
NO_SERVICES = N_("No service is recorded at {point} yet.")
# TRANSLATORS: after "No service is recorded at...": the nearest place that has some. {point}
# is a place name, {km} a whole number.
NEAREST_WITH_SERVICES = N_("Nearest place with known services: {point} (about {km} km).")
# TRANSLATORS: shown after a phone number or opening hours that nobody has checked yet.
NOT_VERIFIED = N_("not verified")
# TRANSLATORS: shown after checked information. {date} is the date it was last checked.
VERIFIED_ON = N_("checked {date}")
# TRANSLATORS: before a text shown in another language because it is not written in this one
# yet. {language} is that language's own name (Français, Hausa...).
FALLBACK_NOTICE = N_("This text is not in your language yet. Here it is in {language}.")
# TRANSLATORS: answer to FALLBACK EN / FALLBACK FR. {language} is English or Français.
FALLBACK_SET = N_("Texts not yet in your language will come in {language}.")
# TRANSLATORS: answer to FALLBACK alone. {language} is English or Français; {word} is this
# language's FALLBACK keyword; EN and FR stay as they are.
FALLBACK_HOWTO = N_(
    "Texts not yet in your language come in {language}. For English send {word} EN, "
    "for French {word} FR.")
# TRANSLATORS: the emergency numbers heading.
EMERGENCY_NUMBERS = N_("Emergency numbers:")
# TRANSLATORS: an internal failure; the person's message was kept.
INTERNAL_ERROR = N_(
    "Sorry, something went wrong on our side. Your message was kept; please try again."
)
# TRANSLATORS: sent once when a person sends too many messages too fast. SOS stays SOS in
# every language.
THROTTLED = N_(
    "You are sending many messages. Please wait a minute before writing again. "
    "In an emergency, send SOS."
)
# TRANSLATORS: the person sent a photo, sticker, voice note... where text is expected.
TEXT_ONLY = N_("Please send text, or a number from the list.")


# Plural messages: (singular, plural) pairs, extracted with the keyword ``Nn_:1,2``.
# TRANSLATORS: {count} is the number of services listed at {point}.
SERVICES_COUNT = Nn_("{count} service at {point}:", "{count} services at {point}:")
