"""``/metrics``: this process's counters (``bot/core/metrics.py``) and figures read from the store.

The store is the one place every process writes (the web process accepts, the handling process
handles, a separate sender sends), so backlog, queues, dead letters, digests and SOS read the
same whichever process is scraped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.core.metrics import PROCESS
from bot.core.models import DeadLetter, InboundMessage, IntakeMessage, OutboxMessage
from bot.core.settings import Settings
from bot.core.store import Store
from bot.features.committees.models import SosEvent
from bot.features.digests.models import DigestRun
from webhooks.android_sms_liveness import LIVENESS

# Outbox priorities by lane (bot/core/recipients.py): an SOS, a person waiting, alerts, digests.
LANES = {-1: "sos", 0: "reply", 5: "alert", 9: "digest"}


def lane(priority: int) -> str:
    return LANES.get(priority, str(priority))


class StoreCollector(Collector):
    """Figures read from the store at each scrape (a handful of indexed counts)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        store = self.store
        now = datetime.now(UTC).replace(tzinfo=None)
        with store.session() as session:
            handled = session.execute(select(InboundMessage.channel, func.count())
                                      .group_by(InboundMessage.channel)).all()
            waiting, oldest = session.execute(select(func.count(),
                                                     func.min(IntakeMessage.received_at))).one()
            queued = session.execute(
                select(OutboxMessage.channel, OutboxMessage.priority, func.count())
                .where(OutboxMessage.status.in_(["pending", "sending"]))
                .group_by(OutboxMessage.channel, OutboxMessage.priority)).all()
            oldest_queued = session.scalar(select(func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status.in_(["pending", "sending"]), OutboxMessage.priority <= 0))
            failed = session.execute(select(OutboxMessage.channel, func.count())
                                     .where(OutboxMessage.status == "failed")
                                     .group_by(OutboxMessage.channel)).all()
            dead = session.scalar(select(func.count()).select_from(DeadLetter))
            digests = session.execute(select(DigestRun.digest, func.count())
                                      .group_by(DigestRun.digest)).all()
            sos = session.scalar(select(func.count()).select_from(SosEvent)) or 0
        handled_family = CounterMetricFamily("hanya_messages_handled", "Inbound messages "
                                             "handled, every process", labels=["channel"])
        for channel, count in handled:
            handled_family.add_metric([channel], count)
        yield handled_family
        yield GaugeMetricFamily("hanya_intake_waiting", "Accepted messages not yet handled",
                                value=waiting)
        yield GaugeMetricFamily("hanya_intake_oldest_age_seconds", "Age of the oldest message "
                                "waiting to be handled (0 when none)", value=_age(oldest, now))
        family = GaugeMetricFamily("hanya_outbox_queued", "Messages waiting to be sent",
                                   labels=["channel", "lane"])
        for channel, priority, count in queued:
            family.add_metric([channel, lane(priority)], count)
        yield family
        yield GaugeMetricFamily("hanya_outbox_oldest_reply_age_seconds", "Age of the oldest "
                                "reply to a person still waiting to be sent (0 when none)",
                                value=_age(oldest_queued, now))
        family = GaugeMetricFamily("hanya_outbox_failed", "Messages that failed for good, still "
                                   "in the store (the retention purge removes old ones)",
                                   labels=["channel"])
        for channel, count in failed:
            family.add_metric([channel], count)
        yield family
        yield GaugeMetricFamily("hanya_dead_letters", "Inbound messages kept aside after a "
                                "failure (hanya dead-letters)", value=dead or 0)
        digest_family = CounterMetricFamily("hanya_digests_sent", "Digests sent, one per "
                                            "period and recipient", labels=["digest"])
        for digest, count in digests:
            digest_family.add_metric([digest], count)
        yield digest_family
        yield CounterMetricFamily("hanya_sos", "SOS received", value=sos)


def _age(then: datetime | None, now: datetime) -> float:
    if then is None:
        return 0.0
    return max(0.0, (now - then.replace(tzinfo=None)).total_seconds())


def exposition(store_registry: CollectorRegistry) -> bytes:
    """The text a Prometheus scrape gets: this process's counters, then the store's figures."""
    return generate_latest(PROCESS) + generate_latest(store_registry)


class PhonesCollector(Collector):
    """Each Android gateway phone's last sign of life, as this web process saw it (a signed
    webhook, an accepted send): alert when time() minus it grows past an hour."""

    def __init__(self, settings: Settings) -> None:
        self.phones = settings.android_sms_phone_list()

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily("hanya_gateway_phone_last_seen_timestamp_seconds",
                                   "When each gateway phone last showed it was alive (Unix "
                                   "time; 0: not since this process started)", labels=["phone"])
        for phone in self.phones:
            seen = LIVENESS.seen.get(phone.name)
            family.add_metric([phone.name], seen.timestamp() if seen else 0.0)
        yield family


def store_registry(store: Store, settings: Settings | None = None) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(store))
    if settings is not None:
        registry.register(PhonesCollector(settings))
    return registry
