"""Settings from the environment (prefix ``HANYA_``) or a ``.env`` file."""

from __future__ import annotations

import json
import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# The repository root, however deep this module sits in the package (bot.core.settings: 1 level).
ROOT = Path(__file__).resolve().parents[__name__.count(".")]
log = logging.getLogger(__name__)


def _comma_list(value: Any) -> Any:
    """``a,b`` or a JSON list (``["a", "b"]``) for a list setting: people write the former."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


# NoDecode: pydantic-settings would otherwise insist on JSON and fail with a traceback.
CommaList = Annotated[list[str], NoDecode, BeforeValidator(_comma_list)]


class Settings(BaseSettings):
    # An empty value is no value: `HANYA_TELEGRAM_TOKEN=` (an env file's line left blank, a
    # compose file passing an unset variable) leaves the channel off, as if the line were absent,
    # instead of handing an empty token to the provider's library at start.
    model_config = SettingsConfigDict(env_prefix="HANYA_", env_file=".env", extra="ignore",
                                      env_ignore_empty=True)

    # The store: SQLite under var/ by default; production: postgresql+psycopg://... (DEPLOY.md).
    database_url: str = f"sqlite:///{ROOT / 'var' / 'hanya.db'}"
    # Keys HMAC pseudonyms and encrypts addresses. No default on purpose: unset means a
    # throw-away development key (see ``secret_key_or_dev``).
    secret_key: SecretStr | None = None
    # The public https base URL: Twilio signs it, Telegram's webhook is registered on it, Twilio
    # fetches WhatsApp recordings from it (one on this machine: WhatsApp stays text only).
    public_url: str = "http://127.0.0.1:8000"
    # Where people read times (digests, alerts, the dashboard); the store keeps UTC.
    timezone: str = "Africa/Niamey"

    # Telegram: the bot's token from @BotFather, and the secret Telegram sends back with each
    # update (then `hanya telegram set-webhook`); the API's base URL (tests use a local fake).
    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"

    # SMS through Twilio: the account, its auth token and the number people text; point the
    # number's webhook at /webhooks/twilio/sms (the API's base URL: tests use a local fake).
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_number: str | None = None
    twilio_api_url: str = "https://api.twilio.com"
    # Twilio webhooks signed with a SharedKey (X-Twilio-Webhooks-Signature-Settings names the
    # algorithm, HMAC-SHA256): its secret. Unset, such requests are refused.
    twilio_webhook_shared_key: SecretStr | None = None
    # WhatsApp through Twilio (webhooks/twilio_whatsapp.py), e.g. "whatsapp:+14155238886".
    twilio_whatsapp_number: str | None = None

    # SMS through Android phones running SMS Gateway for Android (webhooks/android_sms.py,
    # docs/CHANNELS.md). No URL: the channel is off. These four set up the first phone.
    android_sms_url: str | None = None
    android_sms_username: str | None = None
    android_sms_password: SecretStr | None = None
    android_sms_signing_key: SecretStr | None = None
    android_sms_name: str = "phone-1"
    # Number prefixes the first phone's operator serves (e.g. ["+22796"]): a person is
    # answered from a phone of their own network when one is up. Empty: any number.
    android_sms_prefixes: list[str] = Field(default_factory=list)
    # More phones, one per operator: a JSON list of objects with the keys name, url,
    # username, password, signing_key, prefixes (kept secret as a whole: it holds passwords).
    android_sms_phones: SecretStr | None = None
    # SMS per minute per phone. Android lets an app send 30 SMS per 30 minutes, then asks the
    # person holding the phone (nobody, on a gateway): 1 stays within that. Raise it only
    # after raising Android's own limit (docs/CHANNELS.md).
    android_sms_per_minute: float = Field(default=1.0, gt=0)
    # A phone that was unreachable or refused is skipped this long before it is tried again.
    android_sms_phone_rest_seconds: float = Field(default=60.0, gt=0)
    # The duty recipients are alerted when a phone shows no sign of life this long (0: never).
    android_sms_silent_minutes: int = Field(default=60, ge=0)

    # SMS segments one reply may take before the rest waits behind MORE (each segment is paid).
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    # The editors' files (content/README.md) and the translations.
    content_dir: Path = ROOT / "content"
    locales_dir: Path = ROOT / "locales"
    # The language of a person who has not chosen one yet (a code of content/languages.yaml).
    default_language: str = "fr"
    # Signed SMS received while the store is down wait here, encrypted (bot/core/spool.py).
    spool_dir: Path = ROOT / "var" / "spool"
    # Information-point conversation logs are purged after this many days.
    retention_days: int = 90
    # The privacy notice's version: a person is shown it again when it changes.
    privacy_notice_version: str = "2026-11"
    # Radius beyond which a shared location is "not near" any point.
    nearest_point_max_km: float = 150.0
    # Inbound webhook bodies above this are refused with 413.
    max_body_bytes: int = 64 * 1024
    # The sender loop runs inside the web process; tests and CLI tools may turn it off.
    run_sender: bool = True
    # Received messages are handled beside the web process; off where `hanya intake run`
    # handles them on its own (the web workers then only accept).
    run_intake: bool = True
    # Where: in a second process the web process starts and watches (bot/app/intake_process.py),
    # so that accepting and handling each get a core; false: in a task of the web process
    # itself (one process, ~140 MB less, a third of the accepting rate under a burst).
    intake_process: bool = True
    # That process's niceness (os.nice): under a burst that fills the cores, accepting first
    # (bot/app/intake_process.py says why); 0: the same priority as the web process.
    handling_nice: int = Field(default=10, ge=0, le=19)
    # The intake and the sender look at the store this often when nothing wakes them, for
    # work another process left (woken, they look at once).
    idle_poll_seconds: float = Field(default=1.0, gt=0)
    # A received message taken by a process that then died is taken again after this long
    # (handling one takes milliseconds; a live process never holds one near this long).
    intake_lease_seconds: float = Field(default=10.0, gt=0)
    # Inbound messages handled at once in one web process (0: 1 on SQLite, whose writes are
    # one at a time anyway; 4 on PostgreSQL, enough to overlap its round trips). More threads
    # only fight over the GIL and the connections: 40 handled 20 % fewer messages than 4.
    # Raise it for a distant database, whose round trips take longer.
    inbox_threads: int = Field(default=0, ge=0)
    # gc.freeze() once started: off in tests, which start many apps in one process.
    gc_freeze_at_start: bool = True
    # Dashboard: sessions end after this much idleness, and in any case after the maximum.
    dashboard_idle_minutes: int = Field(default=30, ge=1)
    dashboard_session_max_hours: int = Field(default=12, ge=1)
    # Failed sign-ins of one client address for one identifier before that pair waits, the
    # first wait, doubling up to the longest (bot/features/dashboard/sign_in_guard.py: no account is
    # locked).
    dashboard_max_failures: int = Field(default=5, ge=1)
    dashboard_throttle_seconds: int = Field(default=30, ge=1)
    dashboard_lock_minutes: int = Field(default=15, ge=1)
    # Access-code verifications (Argon2id, 64 MiB each) at once in a process, and for one
    # client address; past either, a sign-in is answered 429 without hashing.
    dashboard_verifications_at_once: int = Field(default=2, ge=1)
    dashboard_verifications_per_client: int = Field(default=1, ge=1)
    # Partners see counts below this as "<N" (statistical disclosure control).
    dashboard_small_count: int = Field(default=5, ge=1)
    # Dashboard identifiers (officers) named to read sensitive idea-box feedback.
    dashboard_sensitive_viewers: CommaList = Field(default_factory=list)
    # Outbox: provider limits (messages per second unless named otherwise), tries, lease.
    telegram_rate_overall: float = Field(default=30.0, gt=0)
    telegram_rate_per_chat: float = Field(default=1.0, gt=0)
    telegram_group_per_minute: float = Field(default=20.0, gt=0)
    # Twilio queues behind each number; this only keeps the API calls at a steady pace.
    twilio_rate_per_number: float = Field(default=10.0, gt=0)
    # Messages a Telegram chat may get at once (one reply of several parts) before 1/s applies.
    telegram_chat_burst: int = Field(default=3, ge=1)
    # Tries of a message before it fails for good, and the first wait between two (seconds,
    # doubling, with jitter).
    outbox_max_attempts: int = Field(default=8, ge=1)
    outbox_backoff_base: float = Field(default=2.0, gt=0)
    # Longer than a provider call can take: a row leased this long is taken as abandoned.
    outbox_lease_seconds: float = Field(default=60.0, gt=0)
    # Sends in flight or sent and not yet recorded: the most a crash of the sender can repeat.
    # Fewer slows the sender whenever the store is slow to record (16: 0.89 of 300/s in the
    # bench, 64: 0.96).
    outbox_unrecorded: int = Field(default=64, ge=1)
    # Digests to the SP/CCM: cron lines in ``timezone``; the scheduler runs in the web process.
    run_scheduler: bool = True
    digest_daily_cron: str = "0 7 * * *"
    digest_weekly_cron: str = "0 7 * * mon"
    digest_silent_days: int = Field(default=7, ge=1)
    # Recipients outside the SP/CCM core see counts below this as "<N".
    digest_small_cell: int = Field(default=5, ge=1)
    # The weekly digest's chart images.
    chart_dir: Path = ROOT / "var" / "charts"
    # Recipient names told (reference only) when sensitive feedback arrives in the idea box.
    idea_sensitive_officers: CommaList = Field(default_factory=list)
    # Floods: past this many messages from one person in the window, one polite notice, then
    # silence until the window ends (SOS is never throttled).
    flood_max_messages: int = Field(default=30, ge=1)
    flood_window_seconds: int = Field(default=60, ge=1)
    # Loop guard: the same text to one contact at most this often in the window.
    loop_max_repeats: int = Field(default=20, ge=1)
    loop_window_seconds: int = Field(default=300, ge=1)
    # SMS pumping: countries whose numbers are served freely; any other country code shares a
    # daily budget of reply segments.
    sms_home_countries: CommaList = Field(default_factory=lambda: ["NE"])
    sms_foreign_daily_segments: int = Field(default=200, ge=0)
    # Previous secret keys, still accepted to recognise and answer contacts after a rotation.
    old_secret_keys: Annotated[list[SecretStr], NoDecode, BeforeValidator(_comma_list)] = Field(
        default_factory=list)
    # Content editors: a service whose verified_on is older than this is due for review.
    review_days: int = Field(default=180, ge=1)
    # The web process watches content/ and locales/ and serves a change that passes the checks.
    content_reload: bool = True
    content_reload_seconds: float = Field(default=1.0, gt=0)
    # FastAPI's /docs, /redoc and /openapi.json: a map of every route for whoever asks, so off
    # unless turned on (a development or fuzzing aid).
    api_docs: bool = False
    # /preview walks a conversation in a throw-away store; only from this machine unless allowed.
    preview_enabled: bool = True
    preview_remote: bool = False
    # Watch committees: two reports of one kind at one point closer than this (event time) are
    # linked as a possible duplicate (same committee) or a corroboration (another committee).
    report_link_window_hours: int = Field(default=24, ge=1)
    # One SOS alert per person in this window; the emergency numbers are sent every time.
    sos_alert_cooldown_minutes: int = Field(default=15, ge=0)
    # The bot's @username, for the enrolment deep link t.me/<username>?start=<code>.
    telegram_bot_username: str | None = None
    # Production: `hanya serve` runs `hanya doctor` first and refuses to start on an unsafe
    # configuration (bot/app/doctor.py says which findings block).
    production: bool = False
    # "json": one JSON object a log line (journald, Loki, ELK); "text" for people.
    log_format: Literal["text", "json"] = "text"
    # /metrics answers a request bearing this token; unset, only a request from this machine
    # (the proxy in deploy/ does not pass /metrics on).
    metrics_token: SecretStr | None = None
    # `hanya backup` writes here and keeps this many (a daily timer: two weeks).
    backup_dir: Path = ROOT / "var" / "backups"
    backup_keep: int = Field(default=14, ge=1)

    @field_validator("android_sms_phones")
    @classmethod
    def _phones_readable(cls, value: SecretStr | None) -> SecretStr | None:
        """Read when the settings are, so that a wrong list is one line at start, not a
        traceback when the sender first needs the phones."""
        _more_phones(_plain(value))
        return value

    @field_validator("timezone")
    @classmethod
    def _a_time_zone(cls, value: str) -> str:
        """A zone that does not exist is one line at start, not a traceback at the first time
        shown (a digest, the dashboard)."""
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone (an IANA name)") from None
        return value

    @field_validator("default_language")
    @classmethod
    def _a_language_of_the_content(cls, value: str, info: ValidationInfo) -> str:
        """A code the content does not have is one line at start: it failed at every message
        (KeyError). A content folder that cannot be read is left to the content's own check."""
        index = Path(info.data.get("content_dir") or ROOT / "content") / "languages.yaml"
        try:
            codes = [str(entry["code"]) for entry in
                     yaml.safe_load(index.read_text("utf-8"))["languages"]]
        except (OSError, yaml.YAMLError, TypeError, KeyError):
            return value
        if value not in codes:
            raise ValueError(f"{value!r} is not a language of {index} ({', '.join(codes)})")
        return value

    @field_validator("telegram_api_url", "twilio_api_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def android_sms_phone_list(self) -> list[AndroidPhone]:
        """Every gateway phone set up, the first one from the four plain settings."""
        phones = []
        if self.android_sms_url:
            phones.append(AndroidPhone(
                self.android_sms_name, self.android_sms_url.rstrip("/"),
                self.android_sms_username or "", _plain(self.android_sms_password),
                _plain(self.android_sms_signing_key), tuple(self.android_sms_prefixes)))
        return phones + _more_phones(_plain(self.android_sms_phones))

    def shown_time(self, moment: datetime, fmt: str = "%Y-%m-%d %H:%M", *,
                   named: bool = True) -> str:
        """A stored (UTC) time as people read it: in ``timezone``, its city named (unless a
        column's heading names it), as on the dashboard's pages ("2026-12-05 22:27 (Niamey)")."""
        zone = ZoneInfo(self.timezone)
        local = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(zone)
        return f"{local.strftime(fmt)} ({self.zone_city})" if named else local.strftime(fmt)

    @property
    def zone_city(self) -> str:
        return self.timezone.rsplit("/", 1)[-1].replace("_", " ")

    def secret_key_or_dev(self) -> bytes:
        """The configured secret key, or a development key with a loud warning."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        return _dev_key(self.spool_dir.parent)


@dataclass(frozen=True)
class AndroidPhone:
    """One SMS Gateway for Android phone: its API, credentials, signing key and operator."""

    name: str
    url: str
    username: str
    password: str = field(repr=False)
    signing_key: str = field(repr=False)
    prefixes: tuple[str, ...] = ()


def _plain(secret: SecretStr | None) -> str:
    return secret.get_secret_value() if secret is not None else ""


@lru_cache(maxsize=4)
def _dev_key(var_dir: Path) -> bytes:
    # Persisted under var/ so contacts stay reachable across restarts of a dev server.
    path = var_dir / "dev-secret-key"
    if path.exists():
        key = path.read_text().strip()
    else:
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        # Created 0600, never readable by others even for a moment (write then chmod was).
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(key)
    log.warning(
        "HANYA_SECRET_KEY is not set: using a development key from %s. "
        "Never run a real service like this: set HANYA_SECRET_KEY.",
        path,
    )
    return key.encode()


def _more_phones(text: str) -> list[AndroidPhone]:
    """The gateway phones of HANYA_ANDROID_SMS_PHONES (a JSON list of objects)."""
    try:
        return [AndroidPhone(str(extra["name"]), str(extra["url"]).rstrip("/"),
                             str(extra.get("username", "")), str(extra.get("password", "")),
                             str(extra.get("signing_key", "")), tuple(extra.get("prefixes", ())))
                for extra in json.loads(text or "[]")]
    except (ValueError, TypeError, KeyError, AttributeError) as exc:  # never echo it: passwords
        raise ValueError("a JSON list of objects with at least name and url is needed "
                         "(docs/CHANNELS.md)") from exc


def settings_problems(exc: Exception) -> list[str]:
    """One line per wrong setting, naming the variable and a value of the right form."""
    errors = exc.errors() if isinstance(exc, ValidationError) else []
    lines = []
    for error in errors:
        name = str(error["loc"][0]) if error["loc"] else ""
        field = Settings.model_fields.get(name)
        variable = f"HANYA_{name.upper()}"
        message = error["msg"].removeprefix("Value error, ")  # our own validators' words
        lines.append(f"{variable}: {message} (for example {variable}={_example(field)})")
    return lines or [f"the settings cannot be read: {exc}"]


def _example(field: Any) -> str:
    if field is None:
        return "..."
    default = field.get_default(call_default_factory=True)
    if isinstance(default, list):
        return ",".join(map(str, default)) if default else "Aissa,Moussa"
    if isinstance(default, bool):
        return "true"
    return str(default) if default is not None else "..."


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
