"""``hanya doctor``: is this a safe production set-up? One finding a line, each naming its fix.

Checks read the settings, the store, the disk and, unless told not to, ask each configured
provider (Telegram's getMe and getWebhookInfo, Twilio's number resource) whether it knows us
as we expect. A finding is an error (the service is unsafe or will lose messages), a warning
(fine for a pilot, or worth a look) or ok. ``blocking`` errors stop ``hanya serve`` in
production: only those of the configuration, never a provider that cannot be reached just now
(a service that is down because Telegram was down at boot would lose more than it protects).
"""

from __future__ import annotations

import shutil
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import make_url, text

from bot.app import backup
from bot.core.settings import ROOT, Settings
from bot.core.store import Store
from bot.core.texts import N_

Level = Literal["ok", "warning", "error"]
FREE_ERROR = 1 << 30  # 1 GiB: the spool and a day of SQLite writes need room
FREE_WARNING = 5 << 30
BACKUP_MAX_AGE = timedelta(hours=36)  # a nightly timer, with a night's slack
CLOCK_MAX_SKEW = timedelta(seconds=60)  # Twilio signs no time, but digests and leases do


@dataclass(frozen=True)
class Finding:
    """``check`` and ``text`` are msgids of the dashboard's catalogue; ``values`` fill ``text``."""

    level: Level
    check: str
    text: str
    values: tuple[tuple[str, object], ...] = ()
    blocking: bool = False

    def message(self, gettext: Callable[[str], str] = str) -> str:
        return gettext(self.text).format_map(dict(self.values))

    def line(self, gettext: Callable[[str], str] = str) -> str:
        return f"{self.level:<7} {gettext(self.check)}: {self.message(gettext)}"


def ok(check: str, text: str, **values: object) -> Finding:
    return Finding("ok", check, text, tuple(values.items()))


def warning(check: str, text: str, **values: object) -> Finding:
    return Finding("warning", check, text, tuple(values.items()))


def error(check: str, text: str, *, blocking: bool = False, **values: object) -> Finding:
    return Finding("error", check, text, tuple(values.items()), blocking)


def diagnose(settings: Settings, *, network: bool = True, timeout: float = 5.0,
             now: datetime | None = None) -> list[Finding]:
    """Every check's findings, in the order an operator would fix them."""
    now = now or datetime.now(UTC)
    client = httpx.Client(timeout=timeout) if network else None
    checks: list[Callable[[], Iterator[Finding]]] = [
        lambda: _secret_key(settings),
        lambda: _public_url(settings),
        lambda: _database(settings),
        lambda: _telegram(settings, client, now),
        lambda: _twilio(settings, client, now),
        lambda: _scheduler(settings),
        lambda: _timezone(settings),
        lambda: _disk(settings),
        lambda: _backups(settings, now),
        lambda: _permissions(settings),
    ]
    findings: list[Finding] = []
    try:
        for check in checks:
            findings.extend(check())
    finally:
        if client is not None:
            client.close()
    return findings


def _secret_key(settings: Settings) -> Iterator[Finding]:
    key = settings.secret_key.get_secret_value() if settings.secret_key else ""
    check = N_("secret key")
    if not key:
        yield error(check, N_("HANYA_SECRET_KEY is not set, so a development key is in use: set "
                              "it to the output of python3 -c 'import secrets; "
                              "print(secrets.token_urlsafe(32))' and keep a copy apart from the "
                              "backups"), blocking=True)
    elif len(key) < 32:
        yield error(check, N_("HANYA_SECRET_KEY has {n} characters: use at least 32 random ones "
                              "(then `hanya keys rotate`)"), n=len(key), blocking=True)
    else:
        yield ok(check, N_("set"))
    if settings.old_secret_keys:
        yield warning(check, N_("HANYA_OLD_SECRET_KEYS is set: once `hanya keys rotate` has run, "
                                "remove the old keys"))


def _public_url(settings: Settings) -> Iterator[Finding]:
    url, check = httpx.URL(settings.public_url), N_("public url")
    if url.scheme != "https":
        yield error(check, N_("HANYA_PUBLIC_URL is {url}: providers must reach Hanya over https "
                              "(docs/DEPLOY.md, section 7)"), url=settings.public_url,
                    blocking=True)
    elif url.host in ("localhost", "127.0.0.1", "::1"):
        yield error(check, N_("HANYA_PUBLIC_URL names this machine: set the public host name"),
                    blocking=True)
    else:
        yield ok(check, "{url}", url=settings.public_url)


def _alembic_heads() -> set[str]:
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "alembic"))
    return set(ScriptDirectory.from_config(config).get_heads())


def _database(settings: Settings) -> Iterator[Finding]:
    store = Store(settings.database_url)
    try:
        if not store.ping():
            yield error(N_("database"), N_("cannot reach the database named by "
                                           "HANYA_DATABASE_URL (is PostgreSQL running? "
                                           "systemctl status postgresql)"))
            return
        with store.engine.connect() as conn:
            try:
                applied = {row[0] for row in conn.execute(
                    text("SELECT version_num FROM alembic_version"))}
            except Exception:  # noqa: BLE001 - no table: never migrated
                applied = set()
    finally:
        store.dispose()
    if store.is_postgres:
        yield ok(N_("database"), "PostgreSQL")
    else:
        yield warning(N_("database"), N_("SQLite: fine for a pilot with one web process; for a "
                                         "service, PostgreSQL (docs/DEPLOY.md, section 3)"))
    missing = _alembic_heads() - applied
    if missing:
        yield error(N_("migrations"), N_("the database is behind the code ({n} migration "
                                         "head(s) not applied): run `hanya db upgrade`"),
                    n=len(missing), blocking=True)
    else:
        yield ok(N_("migrations"), N_("at head"))


def _provider_clock(response: httpx.Response, now: datetime) -> Iterator[Finding]:
    date = response.headers.get("Date")
    if not date:
        return
    skew = int(abs(parsedate_to_datetime(date) - now).total_seconds())
    if skew > CLOCK_MAX_SKEW.total_seconds():
        yield error(N_("clock"), N_("this machine's clock is {seconds} s off the provider's: "
                                    "apt-get install systemd-timesyncd (or chrony)"),
                    seconds=skew)
    else:
        yield ok(N_("clock"), N_("within {seconds} s of {host}"), seconds=skew,
                 host=response.url.host)


def _unreachable(check: str, provider: str, exc: Exception) -> Finding:
    return error(check, N_("cannot reach {provider} ({error}): check this machine's outbound "
                           "https"), provider=provider, error=type(exc).__name__)


def _telegram(settings: Settings, client: httpx.Client | None,
              now: datetime) -> Iterator[Finding]:
    if settings.telegram_token is None:
        return
    check = "Telegram"
    if settings.telegram_webhook_secret is None:
        yield error(check, N_("HANYA_TELEGRAM_WEBHOOK_SECRET is not set, so every update is "
                              "refused: set it (32+ random characters), then `hanya telegram "
                              "set-webhook`"), blocking=True)
    if client is None:
        return
    base = f"{settings.telegram_api_url}/bot{settings.telegram_token.get_secret_value()}"
    try:
        me = client.get(f"{base}/getMe")
        info = client.get(f"{base}/getWebhookInfo")
    except httpx.HTTPError as exc:
        yield _unreachable(check, "Telegram", exc)
        return
    if me.status_code == 401:
        yield error(check, N_("Telegram refuses HANYA_TELEGRAM_TOKEN: copy it again from "
                              "@BotFather"))
        return
    if me.status_code != 200:
        yield error(check, N_("{provider} answered {status}"), provider="Telegram",
                    status=me.status_code)
        return
    yield from _provider_clock(me, now)
    expected = f"{settings.public_url}/webhooks/telegram"
    webhook = info.json().get("result", {}) if info.status_code == 200 else {}
    if webhook.get("url") != expected:
        yield error(check, N_("the webhook is registered on {found}, not {expected}: run `hanya "
                              "telegram set-webhook`"), found=webhook.get("url") or "-",
                    expected=expected)
    else:
        yield ok(check, N_("reachable, webhook on {expected}"), expected=expected)
    if webhook.get("last_error_message"):
        yield warning(check, N_("Telegram's last delivery to the webhook failed: {error}"),
                      error=webhook["last_error_message"])


def _twilio(settings: Settings, client: httpx.Client | None,
            now: datetime) -> Iterator[Finding]:
    given = {"HANYA_TWILIO_ACCOUNT_SID": settings.twilio_account_sid,
             "HANYA_TWILIO_AUTH_TOKEN": settings.twilio_auth_token,
             "HANYA_TWILIO_NUMBER": settings.twilio_number}
    check = "Twilio"
    if not any(given.values()):
        if settings.telegram_token is None:
            yield warning(N_("channels"), N_("no channel is configured: nothing can be received "
                                             "or sent (README, Configuration)"))
        return
    missing = [name for name, value in given.items() if not value]
    if missing:
        yield error(check, N_("{names} missing: the SMS channel needs all three"),
                    names=", ".join(missing), blocking=True)
        return
    if client is None or settings.twilio_auth_token is None:
        return
    sid = settings.twilio_account_sid
    url = f"{settings.twilio_api_url}/2010-04-01/Accounts/{sid}/IncomingPhoneNumbers.json"
    try:
        response = client.get(url, params={"PhoneNumber": settings.twilio_number},
                              auth=(str(sid), settings.twilio_auth_token.get_secret_value()))
    except httpx.HTTPError as exc:
        yield _unreachable(check, "Twilio", exc)
        return
    if response.status_code == 401:
        yield error(check, N_("Twilio refuses the account SID and auth token: copy them again "
                              "from the Twilio console"))
        return
    if response.status_code != 200:
        yield error(check, N_("{provider} answered {status}"), provider="Twilio",
                    status=response.status_code)
        return
    yield from _provider_clock(response, now)
    numbers = response.json().get("incoming_phone_numbers", [])
    if not numbers:
        yield error(check, N_("HANYA_TWILIO_NUMBER is not a number of this Twilio account"))
        return
    expected = f"{settings.public_url}/webhooks/twilio/sms"
    if numbers[0].get("sms_url") != expected:
        yield error(check, N_("the number's SMS webhook is {found}, not {expected}: set it in "
                              "the Twilio console (Phone Numbers, Messaging)"),
                    found=numbers[0].get("sms_url") or "-", expected=expected)
    else:
        yield ok(check, N_("reachable, the number's webhook is {expected}"), expected=expected)


def _scheduler(settings: Settings) -> Iterator[Finding]:
    if settings.run_scheduler:
        yield ok(N_("scheduler"), N_("runs in the web process (HANYA_RUN_SCHEDULER): keep to one "
                                     "web process, or set it false and run "
                                     "deploy/hanya-scheduler.service once"))
    else:
        yield warning(N_("scheduler"), N_("HANYA_RUN_SCHEDULER is false: `hanya digest "
                                          "schedule` must run exactly once elsewhere "
                                          "(deploy/hanya-scheduler.service)"))


def _timezone(settings: Settings) -> Iterator[Finding]:
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        yield error(N_("time zone"), N_("HANYA_TIMEZONE={zone} is not a time zone: use "
                                        "Africa/Niamey"), zone=settings.timezone, blocking=True)
        return
    yield ok(N_("time zone"), "{zone}", zone=settings.timezone)


def _folders(settings: Settings) -> dict[str, Path]:
    folders = {"spool": settings.spool_dir, "backups": settings.backup_dir}
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        folders["store"] = Path(url.database).parent
    return folders


def _disk(settings: Settings) -> Iterator[Finding]:
    for folder in _folders(settings).values():
        existing = next((p for p in (folder, *folder.parents) if p.exists()), Path("/"))
        free = shutil.disk_usage(existing).free
        gib = f"{free / (1 << 30):.1f}"
        if free < FREE_ERROR:
            yield error(N_("disk"), N_("only {gib} GiB free for {folder}: free some room"),
                        gib=gib, folder=str(folder))
        elif free < FREE_WARNING:
            yield warning(N_("disk"), N_("{gib} GiB free for {folder}"), gib=gib,
                          folder=str(folder))
        else:
            yield ok(N_("disk"), N_("{gib} GiB free for {folder}"), gib=gib, folder=str(folder))


def _backups(settings: Settings, now: datetime) -> Iterator[Finding]:
    found = backup.listed(settings.backup_dir) if settings.backup_dir.is_dir() else []
    if not found:
        yield warning(N_("backups"), N_("no backup in {folder}: systemctl enable --now "
                                        "hanya-backup.timer (docs/DEPLOY.md, section 8)"),
                      folder=str(settings.backup_dir))
    elif now - found[0].taken_at > BACKUP_MAX_AGE:
        hours = int((now - found[0].taken_at).total_seconds() // 3600)
        yield warning(N_("backups"), N_("the newest backup is {hours} h old: is "
                                        "hanya-backup.timer running? (systemctl list-timers)"),
                      hours=hours)
    else:
        yield ok(N_("backups"), N_("newest {name}"), name=found[0].path.name)


def _permissions(settings: Settings) -> Iterator[Finding]:
    paths = [*_folders(settings).values(), settings.spool_dir.parent / "dev-secret-key",
             Path(".env")]
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database:
        paths.append(Path(url.database))
    loose = [p for p in paths if p.exists() and p.stat().st_mode & stat.S_IRWXO]
    for path in loose:
        yield error(N_("permissions"), N_("{path} is open to every user of this machine: chmod "
                                          "o-rwx {path}"), path=str(path))
    if not loose:
        yield ok(N_("permissions"), N_("data, spool and backups closed to other users"))


def preflight(settings: Settings, log: Callable[[str], None]) -> list[Finding]:
    """``hanya serve``'s check in production: every finding logged, the blocking ones returned."""
    findings = diagnose(settings, timeout=3.0)
    for finding in findings:
        log(finding.line())
    return [f for f in findings if f.blocking]
