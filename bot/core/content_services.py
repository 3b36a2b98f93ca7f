"""How services read in a reply: one line per service, and the emergency numbers block that
comes first in the Emergency topic and the SOS reply.

Pure functions of the content and a language, so that ``hanya content check`` renders exactly
what a person gets (the emergency-first rule is checked on these very strings).
"""

from __future__ import annotations

from collections.abc import Mapping

from bot.core import texts
from bot.core.content import NATIONAL, Content, Service, isolate, localised_in

__all__ = ["EMERGENCY_KINDS", "emergency_services", "numbers_block", "service_line"]

EMERGENCY_KINDS = {"emergency", "police", "ambulance", "fire", "hotline"}


def emergency_services(content: Content, point_id: str | None) -> list[Service]:
    """National numbers first, then the emergency numbers of the person's point."""
    services = [s for s in content.national_services() if s.phone]
    if point_id:
        services += [s for s in content.services_at(point_id)
                     if s.phone and s.kind in EMERGENCY_KINDS]
    return services


def _check(content: Content, language: str, service: Service) -> str:
    t = content.translator(language)
    return (t(texts.VERIFIED_ON, date=t.date(service.verified_on)) if service.verified_on
            else t(texts.NOT_VERIFIED))


def _in(values: Mapping[str, str] | None, chain: list[str]) -> str:
    """A service's field in the reader's language, else its fallback's (an SMS then spells it
    as the reader's SMS spell everything: ``Language.sms_spelling``, Hôpital -> Hopital)."""
    return localised_in(values, chain)[0]


def service_line(content: Content, language: str, service: Service, *, long: bool) -> str:
    """One service: what it gives, where, hours, phone, its source's date and who checked it.
    The short form is the SMS one."""
    chain = content.chain(language)
    details = [_in(service.gives, chain)]
    if long:
        details += [_in(service.where, chain),
                    _in(service.hours, chain)]
    if service.phone:
        details.append(isolate(service.phone, content.direction(language)))
    detail = "; ".join(d for d in details if d)
    dated = [service.source_date] if service.source_date and service.point != NATIONAL else []
    name = _in(service.name, chain)
    line = f"{name}: {detail}" if detail else name
    notes = ", ".join([*dated, _check(content, language, service)])
    return ("• " if long else "- ") + f"{line} ({notes})"


def numbers_block(content: Content, language: str, services: list[Service]) -> str:
    """All numbers on as few characters as an SMS allows: "Police 17, ... (not verified)".

    Services sharing a short name ("Alarme Phone Sahara") share it once; one tag closes the
    line when nobody has checked any of them.
    """
    chain, direction = content.chain(language), content.direction(language)
    groups: dict[str, list[str]] = {}
    for service in services:
        name = _in(service.short or service.name, chain)
        groups.setdefault(name, []).append(isolate(service.phone or "", direction))
    body = ", ".join(f"{name} {' / '.join(phones)}" for name, phones in groups.items())
    checks = dict.fromkeys(_check(content, language, s) for s in services)
    return f"{body} ({'; '.join(checks)})" if body else ""
