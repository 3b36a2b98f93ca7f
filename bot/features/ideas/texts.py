"""What the idea box says (gettext domain ``ideas``: ``locales/<lang>/LC_MESSAGES/ideas.po``).

The msgid is the English text. IDEA and ANONYMOUS are keywords: each translation uses the first
word of that language in ``content/keywords.yaml`` (French: IDEE, ANONYME).
"""

from __future__ import annotations

from bot.core.texts import N_

# TRANSLATORS: Telegram, after /idea: asks for the idea itself, in one message.
ASK_TEXT = N_("Write your idea in one message: what should change, where, and for whom.")
# TRANSLATORS: asks for an optional theme; a list of themes follows, then "Skip".
ASK_THEME = N_("What is it about? Choose a theme, or Skip.")
# TRANSLATORS: button that skips the theme question.
SKIP = N_("Skip")
# TRANSLATORS: asks whether to sign the idea; two buttons follow (Signed / Anonymous).
ASK_SIGNATURE = N_(
    "Sign your idea? If you sign, we will tell you what the SP/CCM decides. "
    "If you stay anonymous, nothing links the idea to you.")
# TRANSLATORS: button: the idea carries the sender's contact so an answer can reach them.
SIGNED = N_("Signed")
# TRANSLATORS: button: the idea is stored without any link to the sender.
ANONYMOUS = N_("Anonymous")
# TRANSLATORS: the idea was stored, signed. {ref} is its reference, like I-2026-00042.
THANKS_SIGNED = N_(
    "Thank you. Your idea is recorded as {ref}. We will tell you when the SP/CCM answers.")
# TRANSLATORS: the idea was stored without any link to the sender. {ref}: its reference.
THANKS_ANONYMOUS = N_("Thank you. Your idea is recorded anonymously as {ref}.")
# TRANSLATORS: after feedback on abuse, exploitation or fraud. {ref}: its reference.
THANKS_SENSITIVE = N_(
    "Thank you. Your message is recorded as {ref}. Only named SP/CCM officers will read it.")
# TRANSLATORS: SMS, when IDEA comes without text. IDEA and ANONYMOUS are this language's
# keywords (first word in content/keywords.yaml); the example idea may be adapted.
SMS_USAGE = N_(
    "To send an idea, write IDEA then your idea, e.g. IDEA organise a meeting in Arlit. "
    "Write IDEA ANONYMOUS then your idea to stay anonymous.")
# TRANSLATORS: SMS, follows the message above. IDEA and PRIVATE are this language's keywords
# (first word in content/keywords.yaml): the message then reaches named officers only.
SMS_PRIVATE_USAGE = N_(
    "For abuse or fraud, write IDEA PRIVATE then your message: only named officers read it.")
# TRANSLATORS: the text was not understood (a photo, a sticker...); asks again for text.
TEXT_ONLY = N_("Please write your idea as text.")
# TRANSLATORS: Telegram, CANCEL during /idea: the person left the idea box before sending.
CANCELLED = N_("Idea cancelled: nothing was recorded.")

# Themes: the button labels on Telegram.
# TRANSLATORS: theme of an idea.
THEME_INFORMATION = N_("Information for migrants")
# TRANSLATORS: theme of an idea.
THEME_SAFETY = N_("Safety on the route")
# TRANSLATORS: theme of an idea.
THEME_RETURN = N_("Return and reintegration")
# TRANSLATORS: theme of an idea.
THEME_WOMEN_CHILDREN = N_("Women and children")
# TRANSLATORS: theme of an idea.
THEME_COORDINATION = N_("Coordination of actors")
# TRANSLATORS: theme of an idea.
THEME_OTHER = N_("Other")
# TRANSLATORS: theme for confidential feedback; only named officers read it.
THEME_SENSITIVE = N_("Abuse, exploitation or fraud (confidential)")

# TRANSLATORS: sent to a signed submitter when the SP/CCM changes the idea's status.
# {ref} is the reference, {status} one of the statuses below.
STATUS_CHANGED = N_("Your idea {ref}: {status}.")
# TRANSLATORS: follows the line above when the SP/CCM wrote an answer. {answer}: their text.
STATUS_ANSWER = N_("Answer from the SP/CCM: {answer}")
# TRANSLATORS: status of an idea.
STATUS_RECEIVED = N_("received")
# TRANSLATORS: status of an idea.
STATUS_REVIEW = N_("under review")
# TRANSLATORS: status of an idea. GTM: the technical working group on migration.
STATUS_DISCUSSED = N_("discussed at a GTM meeting")
# TRANSLATORS: status of an idea.
STATUS_ACTED = N_("acted on")
# TRANSLATORS: status of an idea.
STATUS_DECLINED = N_("declined")
# TRANSLATORS: to named SP/CCM officers only; never the content. {ref}: its reference.
OFFICER_ALERT = N_(
    "Confidential feedback {ref} arrived in the idea box. Read it with: hanya idea show {ref}")

THEME_LABELS = {
    "information": THEME_INFORMATION, "safety": THEME_SAFETY, "return": THEME_RETURN,
    "women_children": THEME_WOMEN_CHILDREN, "coordination": THEME_COORDINATION,
    "other": THEME_OTHER, "sensitive": THEME_SENSITIVE,
}
STATUS_LABELS = {
    "received": STATUS_RECEIVED, "review": STATUS_REVIEW, "discussed": STATUS_DISCUSSED,
    "acted": STATUS_ACTED, "declined": STATUS_DECLINED,
}
