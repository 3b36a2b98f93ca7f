"""A digest (data) rendered for one recipient: in their language, for their channel, with
small counts hidden (``<5``) unless they belong to the SP/CCM core.

Telegram gets the full text (split at 4096 characters) and, weekly, the chart as a photo; SMS
gets a summary that fits the segment budget. Partners (not core) see aggregates only: no
report references, no idea texts, no internal failures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.core import channel_registry
from bot.core.content import Content
from bot.core.i18n import Translator
from bot.core.messages import Outgoing
from bot.core.recipients import Recipient
from bot.core.render import split_text
from bot.core.sms_encoding import sms_cost
from bot.features.dashboard.indicators import Count, region_names
from bot.features.digests import kinds
from bot.features.digests import texts as dt
from bot.features.digests.chart import Bar, weekly_chart
from bot.features.digests.digest import Digest, Figures, period_key
from bot.features.ideas.texts import THEME_LABELS

IDEA_EXCERPT = 200  # characters of an idea shown in a digest
BREAKDOWN_ITEMS = 6  # items per breakdown line


@dataclass(frozen=True)
class Counts:
    """Formats counts for one recipient: exact for the core, "<n" for small ones otherwise."""

    threshold: int
    exact: bool

    def __call__(self, value: int | None) -> str:
        return f"<{self.threshold}" if self.hidden(value) else str(value or 0)

    def hidden(self, value: int | None) -> bool:
        return not self.exact and 0 < (value or 0) < self.threshold

    def plural(self, value: int) -> int:
        """The number that picks a plural form: "<5 reports", not "<5 report"."""
        return self.threshold if self.hidden(value) else value


@dataclass(frozen=True)
class DigestRenderer:
    content: Content
    threshold: int
    chart_dir: Path
    sms_segments: int

    def category(self, t: Translator, key: str) -> str:
        """A report category's label (``content/categories.yaml``), else its code."""
        return (self.content.vocabulary.label(key, self.content.chain(t.language.code))
                or key.replace("_", " "))

    def __call__(self, digest: Digest, recipient: Recipient) -> list[Outgoing]:
        """The messages that carry ``digest`` to ``recipient``."""
        t = self.content.translator(recipient.language)
        counts = Counts(self.threshold, exact=recipient.core)
        channel = channel_registry.get(recipient.channel)
        if channel.sms_like:
            return [Outgoing(text=self.sms(digest, t, counts))]
        text = self.text(digest, t, counts)  # in as many messages as the channel needs
        messages = [Outgoing(text=chunk) for chunk in split_text(text, channel.max_text)]
        # The weekly indicators' chart, where the channel sends pictures (on WhatsApp its
        # caption alone would announce a chart that never comes: the text has the figures).
        if digest.current and digest.before and channel.photos:
            messages.append(self.chart(digest, t, counts, recipient.core))
        return messages

    # --- Telegram: the full text -----------------------------------------------------------

    def text(self, digest: Digest, t: Translator, counts: Counts) -> str:
        """The whole digest as one text, sections in the order officers read them."""
        core = counts.exact
        parts = [self.title(digest, t)]
        if digest.urgent:
            parts.append(self.urgent(digest, t, counts, details=core))
        parts.append(self.reports(digest, t, counts))
        if digest.silent:
            parts.append(t(dt.SILENT, days=digest.silent_days, names=", ".join(digest.silent)))
        if digest.ideas:
            parts.append(self.ideas(digest, t, counts, details=core))
        if core and digest.failures:
            parts.append(t.ngettext(dt.FAILURES, digest.failures, n=digest.failures))
        if core and digest.content_error:
            parts.append(t(dt.CONTENT_REFUSED, error=digest.content_error))
        if digest.current and digest.before:
            parts.append(self.indicators(digest.current, digest.before, t, counts))
        if not core:
            parts.append(t(dt.SUPPRESSED_NOTE, n=self.threshold))
        return "\n\n".join(parts)

    def title(self, digest: Digest, t: Translator) -> str:
        return kinds.get(digest.kind).title(t, digest.period.start, digest.period.end)

    def people(self, t: Translator, counts: Counts, total: int | None, women: int | None,
               children: int | None, complete: bool = True) -> str:
        """The people concerned as the reports gave them: never a 0 for a count not given."""
        if total is None:
            return t(dt.PEOPLE_UNKNOWN)
        if not complete:
            return t(dt.PEOPLE_AT_LEAST, total=counts(total))
        if women is None and children is None:
            return t(dt.PEOPLE_TOTAL, total=counts(total))
        if children is None:
            return t(dt.PEOPLE_WOMEN, total=counts(total), women=counts(women))
        if women is None:
            return t(dt.PEOPLE_CHILDREN, total=counts(total), children=counts(children))
        return t(dt.PEOPLE, total=counts(total), women=counts(women), children=counts(children))

    def urgent(self, digest: Digest, t: Translator, counts: Counts, *, details: bool) -> str:
        lines = [_counted(t, dt.URGENT_HEADING, len(digest.urgent), counts)]
        if details:
            lang = t.language.code
            for r in digest.urgent:
                point = self.content.points.get(r.point_id)
                lines.append("• " + t(dt.URGENT_LINE, ref=r.reference,
                                      category=self.category(t, r.category),
                                      point=point.display(lang) if point else r.point_id,
                                      people=self.people(t, counts, r.total, r.women,
                                                         r.children)))
        return "\n".join(lines)

    def reports(self, digest: Digest, t: Translator, counts: Counts) -> str:
        if not digest.groups:
            return t(dt.NO_REPORTS)
        lines = [_counted(t, dt.REPORTS_HEADING, digest.reports, counts)]
        regions = region_names(self.content)
        current: object = None
        for group in digest.groups:
            if group.region != current:
                current = group.region
                lines.append(regions.get(group.region or "", group.region or "")
                             or t(dt.UNKNOWN_REGION))
            people = self.people(t, counts, group.people, group.women, group.children,
                                 group.complete)
            lines.append("  - " + t.ngettext(dt.REPORT_GROUP_LINE, counts.plural(group.reports),
                                             category=self.category(t, group.category),
                                             n=counts(group.reports), people=people))
        return "\n".join(lines)

    def ideas(self, digest: Digest, t: Translator, counts: Counts, *, details: bool) -> str:
        lines = [_counted(t, dt.IDEAS_HEADING, len(digest.ideas), counts)]
        if details:
            for idea in digest.ideas:
                text = idea.text if len(idea.text) <= IDEA_EXCERPT else (
                    idea.text[:IDEA_EXCERPT].rstrip() + "…")
                lines.append("• " + t(dt.IDEA_LINE, ref=idea.reference,
                                      theme=self.theme(t, idea.theme), text=text))
        return "\n".join(lines)

    def theme(self, t: Translator, theme: str | None) -> str:
        return t(THEME_LABELS[theme]) if theme in THEME_LABELS else t(dt.NO_THEME)

    def indicators(self, now: Figures, before: Figures, t: Translator, counts: Counts) -> str:
        def pair(text: str, a: int, b: int, **extra: str) -> str:
            return t(text, now=counts(a), before=counts(b), **extra)

        themes = ", ".join(f"{self.theme(t, k or None)} {counts(v)}" for k, v in now.themes.items())
        lines = [
            t(dt.INDICATORS_HEADING),
            pair(dt.EXCHANGES, now.exchanges, before.exchanges),
            pair(dt.CONTACTS, now.contacts, before.contacts),
            pair(dt.CONTRIBUTORS, now.contributors, before.contributors,
                 reporters=counts(now.reporters), idea_senders=counts(now.idea_senders)),
            pair(dt.COMMITTEES_ACTIVE, now.committees_active, before.committees_active),
            t(dt.THEMES, themes=themes or t(dt.NONE)),
            pair(dt.REQUESTS, now.requests, before.requests),
            "  " + t(dt.BY_REGION, items=_items(now.by_region, counts, t)),
            "  " + t(dt.BY_POINT, items=_items(now.by_point, counts, t)),
            "  " + t(dt.BY_LANGUAGE, items=_items(now.by_language, counts, t)),
            "  " + t(dt.BY_TOPIC, items=_items(now.by_topic, counts, t)),
        ]
        return "\n".join(lines)

    # --- SMS: a summary within the budget --------------------------------------------------

    def sms(self, digest: Digest, t: Translator, counts: Counts) -> str:
        """The most important lines that fit ``sms_segments`` SMS, most important first."""
        period = digest.period
        if digest.current:  # the weekly indicators
            now = digest.current
            lines = [t(dt.SMS_WEEKLY, start=_short(period.start), end=_short(period.end),
                       reports=counts(now.reports), ideas=counts(now.ideas),
                       exchanges=counts(now.exchanges), contacts=counts(now.contacts),
                       requests=counts(now.requests))]
        else:
            lines = [t(dt.SMS_DAILY, day=_short(period.start), reports=counts(digest.reports),
                       urgent=counts(len(digest.urgent)), people=counts(digest.people),
                       ideas=counts(len(digest.ideas)))]
        if counts.exact and digest.failures:
            lines.append(t(dt.SMS_FAILURES, n=digest.failures))
        if counts.exact and digest.content_error:
            lines.append(t(dt.SMS_CONTENT_REFUSED))
        if digest.silent:
            lines.append(t(dt.SILENT, days=digest.silent_days, names=", ".join(digest.silent)))
        lines = [t.language.sms_spelling(line) for line in lines]
        return _fit(lines, self.sms_segments)

    # --- the chart ----------------------------------------------------------------------------

    def chart(self, digest: Digest, t: Translator, counts: Counts, core: bool) -> Outgoing:
        """The weekly chart as a photo; labels in the recipient's language (left-to-right)."""
        now, before = digest.current, digest.before
        assert now is not None and before is not None
        if t.language.rtl:  # matplotlib does not shape right-to-left scripts
            t = self.content.translator(t.language.fallback[0] if t.language.fallback else "fr")
        period = digest.period
        bars = [Bar(t(label), a, b) for label, a, b in (
            (dt.CHART_EXCHANGES, now.exchanges, before.exchanges),
            (dt.CHART_CONTACTS, now.contacts, before.contacts),
            (dt.CHART_REQUESTS, now.requests, before.requests),
            (dt.CHART_CONTRIBUTORS, now.contributors, before.contributors),
            (dt.CHART_REPORTS, now.reports, before.reports),
            (dt.CHART_IDEAS, now.ideas, before.ideas))]
        audience = "core" if core else "partner"
        path = self.chart_dir / f"weekly-{period_key(period)}-{t.language.code}-{audience}.png"
        weekly_chart(path, bars, title=t(dt.CHART_TITLE, start=t.date(period.start),
                                         end=t.date(period.end)),
                     legend=(t(dt.CHART_THIS_WEEK), t(dt.CHART_PREVIOUS_WEEK)), counts=counts)
        caption = t(dt.CHART_CAPTION, start=t.date(period.start), end=t.date(period.end))
        return Outgoing(text=caption, photo_path=str(path))


def _counted(t: Translator, pair: tuple[str, str], value: int, counts: Counts) -> str:
    return t.ngettext(pair, counts.plural(value), n=counts(value))


def _short(day: object) -> str:
    return f"{day:%d/%m}"


def _items(items: Iterable[Count], counts: Callable[[int | None], str], t: Translator) -> str:
    shown = [f"{c.label} {counts(c.value)}" for c in list(items)[:BREAKDOWN_ITEMS] if c.value]
    return ", ".join(shown) or t(dt.NONE)


def _fit(lines: list[str], segments: int) -> str:
    """As many whole lines as fit the budget (the first one always, cut if it must be)."""
    text = lines[0]
    for line in lines[1:]:
        candidate = f"{text}\n{line}"
        if sms_cost(candidate).segments > segments:
            break
        text = candidate
    base = text
    while sms_cost(text).segments > segments:  # "..." keeps GSM-7 where "…" would not
        base = base[:-10]
        text = base.rstrip() + "..."
    return text
