"""Each gateway phone's last sign of life, read by the webhook, the sender, /readyz, the
operations page and the silence watch (webhooks/android_sms_watch.py): kept in the store
(bot/core/liveness.py) once the app binds it, so that every process sees the same."""

from __future__ import annotations

from bot.core.liveness import Liveness

__all__ = ["LIVENESS", "Liveness"]

LIVENESS = Liveness()
