"""Settings from the environment (prefix ``HANYA_``) or a ``.env`` file."""

from __future__ import annotations

import logging
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
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
