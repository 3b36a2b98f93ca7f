"""Settings from the environment (prefix ``HANYA_``) or a ``.env`` file."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The repository root, however deep this module sits in the package (bot.settings: 1 level).
ROOT = Path(__file__).resolve().parents[__name__.count(".")]
log = logging.getLogger(__name__)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HANYA_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{ROOT / 'var' / 'hanya.db'}"
    # Keys HMAC pseudonyms and encrypts addresses. No default on purpose: unset means a
    # throw-away development key (see ``secret_key_or_dev``).
    secret_key: SecretStr | None = None
    public_url: str = "http://127.0.0.1:8000"
    timezone: str = "Africa/Niamey"

    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org"

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_number: str | None = None
    twilio_api_url: str = "https://api.twilio.com"

    default_language: str = "fr"
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    content_dir: Path = ROOT / "content"
    locales_dir: Path = ROOT / "locales"
    spool_dir: Path = ROOT / "var" / "spool"
    # Information-point conversation logs are purged after this many days.
    retention_days: int = 90
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
    # Where: in a second process the web process starts and watches (bot/intake_process.py),
    # so that accepting and handling each get a core; false: in a task of the web process
    # itself (one process, ~140 MB less, a third of the accepting rate under a burst).
    intake_process: bool = True
    # That process's niceness (os.nice): under a burst that fills the cores, accepting first
    # (bot/intake_process.py says why); 0: the same priority as the web process.
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
    # Failed sign-ins before an identifier is locked, and for how long.
    dashboard_max_failures: int = Field(default=5, ge=1)
    dashboard_lock_minutes: int = Field(default=15, ge=1)
    # Partners see counts below this as "<N" (statistical disclosure control).
    dashboard_small_count: int = Field(default=5, ge=1)
    # Dashboard identifiers (officers) named to read sensitive idea-box feedback.
    dashboard_sensitive_viewers: list[str] = Field(default_factory=list)
    # Outbox: provider limits (messages per second unless named otherwise), tries, lease.
    telegram_rate_overall: float = Field(default=30.0, gt=0)
    telegram_rate_per_chat: float = Field(default=1.0, gt=0)
    telegram_group_per_minute: float = Field(default=20.0, gt=0)
    # Twilio queues behind each number; this only keeps the API calls at a steady pace.
    twilio_rate_per_number: float = Field(default=10.0, gt=0)
    # Messages a Telegram chat may get at once (one reply of several parts) before 1/s applies.
    telegram_chat_burst: int = Field(default=3, ge=1)
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
    chart_dir: Path = ROOT / "var" / "charts"
    # Recipient names told (reference only) when sensitive feedback arrives in the idea box.
    idea_sensitive_officers: list[str] = Field(default_factory=list)
    # Floods: past this many messages from one person in the window, one polite notice, then
    # silence until the window ends (SOS is never throttled).
    flood_max_messages: int = Field(default=30, ge=1)
    flood_window_seconds: int = Field(default=60, ge=1)
    # Loop guard: the same text to one contact at most this often in the window.
    loop_max_repeats: int = Field(default=20, ge=1)
    loop_window_seconds: int = Field(default=300, ge=1)
    # SMS pumping: countries whose numbers are served freely; any other country code shares a
    # daily budget of reply segments.
    sms_home_countries: list[str] = Field(default_factory=lambda: ["NE"])
    sms_foreign_daily_segments: int = Field(default=200, ge=0)
    # Previous secret keys, still accepted to recognise and answer contacts after a rotation.
    old_secret_keys: list[SecretStr] = Field(default_factory=list)
    # Content editors: a service whose verified_on is older than this is due for review.
    review_days: int = Field(default=180, ge=1)
    # The web process watches content/ and locales/ and serves a change that passes the checks.
    content_reload: bool = True
    content_reload_seconds: float = Field(default=1.0, gt=0)
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

    @field_validator("telegram_api_url", "twilio_api_url", "public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secret_key_or_dev(self) -> bytes:
        """The configured secret key, or a development key with a loud warning."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value().encode()
        return _dev_key(self.spool_dir.parent)


@lru_cache(maxsize=4)
def _dev_key(var_dir: Path) -> bytes:
    # Persisted under var/ so contacts stay reachable across restarts of a dev server.
    path = var_dir / "dev-secret-key"
    if path.exists():
        key = path.read_text().strip()
    else:
        var_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        path.write_text(key)
        path.chmod(0o600)
    log.warning(
        "HANYA_SECRET_KEY is not set: using a development key from %s. "
        "Never run a real service like this: set HANYA_SECRET_KEY.",
        path,
    )
    return key.encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own ``Settings`` instead)."""
    return Settings()
