"""Bring every ``locales/<lang>/LC_MESSAGES/<domain>.po`` up to its ``locales/<domain>.pot``,
or tell which are stale (``make locales-update`` / ``make locales-check``).

This is ``pybabel update`` with two differences: it keeps the ``Plural-Forms`` header of
languages Babel does not know (Kanuri, Tamajaq: Babel drops it when it writes them, which
would silently give them the wrong plural rule), and ``check`` compares the files as written,
so a catalog is "stale" exactly when ``update`` would change it (RapidPro's CI check).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from babel.messages.pofile import read_po, write_po

__all__ = ["Stale", "sync_catalogs"]

WIDTH = 100  # the shipped catalogs are wrapped at 100 columns, like the code
# Stamps that change with the day or the tool's version, not with the words: ignored when
# comparing (a Babel upgrade alone must not make every catalog "stale").
_DATES = re.compile(rb'^"(POT-Creation-Date|PO-Revision-Date|Generated-By):.*\n', re.MULTILINE)
_PLURAL = re.compile(rb'^"Plural-Forms:.*?\\n"\n', re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Stale:
    path: Path
    reason: str


def sync_catalogs(locales_dir: Path, templates_dir: Path | None = None, *,
                  check: bool = False) -> list[Stale]:
    """Update each domain's catalogs from its template; with ``check``, only list the stale.

    ``templates_dir`` holds freshly extracted ``<domain>.pot`` files (default: ``locales_dir``);
    with ``check``, a committed ``.pot`` that differs from the fresh one is stale too.
    """
    templates_dir = templates_dir or locales_dir
    stale: list[Stale] = []
    for pot in sorted(templates_dir.glob("*.pot")):
        committed = locales_dir / pot.name
        if check and (not committed.exists() or _strip(committed.read_bytes())
                      != _strip(pot.read_bytes())):
            stale.append(Stale(committed, "template differs from the code (make locales-extract)"))
        with pot.open("rb") as handle:
            template = read_po(handle)
        for po in sorted(locales_dir.glob(f"*/LC_MESSAGES/{pot.stem}.po")):
            before = po.read_bytes()
            after = updated(before, template, pot.stem)
            if _strip(after) == _strip(before):
                continue
            stale.append(Stale(po, "catalog differs from its template (make locales-update)"))
            if not check:
                po.write_bytes(after)
    return stale


def updated(original: bytes, template: object, domain: str) -> bytes:
    """The catalog ``original`` merged with ``template``, as ``pybabel update`` writes it."""
    catalog = read_po(io.BytesIO(original), domain=domain)
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)  # type: ignore[arg-type]
    buffer = io.BytesIO()
    write_po(buffer, catalog, ignore_obsolete=True, width=WIDTH)
    written = buffer.getvalue()
    kept = _PLURAL.search(original)
    if kept and not _PLURAL.search(written):  # Babel dropped it: unknown locale (kr, tmh)
        team = re.search(rb'^"Language-Team:.*\n', written, re.MULTILINE)
        at = team.end() if team else 0
        written = written[:at] + kept.group(0) + written[at:]
    return written


def _strip(data: bytes) -> bytes:
    return _DATES.sub(b"", data)
