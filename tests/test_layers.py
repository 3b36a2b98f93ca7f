"""The layers of bot/ stay layers (issue 18; docs/ARCHITECTURE.md): the core imports no feature,
conversation, adapter or wiring; a feature imports no conversation, adapter or wiring; nothing
imports in a circle; and a deferred import needs a reason written here."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from import_graph import Edge, Graph, circles, graph  # noqa: E402

# What each layer may import of ours (besides itself). Higher layers may import lower ones.
ALLOWED = {
    "bot.core": ("bot.core",),
    "bot.features": ("bot.core", "bot.features"),
    "handlers": ("bot.core", "bot.features", "handlers"),
}

# Deferred imports that remain, each with why it is not a dodged circle.
DEFERRED = {
    # The `hanya` CLI loads in a fraction of a second: only the command that serves, chats or
    # sends pays for FastAPI, the runtime and the channels' SDKs.
    ("bot.app.cli", "webhooks.app"): "start-up time of every other command",
    ("bot.app.cli", "bot.app.runtime"): "start-up time of every other command",
    ("bot.app.cli", "webhooks.channels"): "start-up time of every other command",
    ("bot.app.cli", "webhooks.telegram"): "python-telegram-bot, for set-webhook only",
    # Issue #23: each command group's module (and what `serve`, `chat` and `db upgrade` use:
    # SQLAlchemy's ORM, Alembic, the checks) is imported when one of its commands runs, so
    # `hanya --help` and every other command start without them (bot/app/cli.py, LAZY).
    ("bot.app.cli", "bot.app.cli_committee"): "imported when a committee command runs",
    ("bot.app.cli", "bot.app.cli_content"): "imported when a content command runs",
    ("bot.app.cli", "bot.app.cli_dead_letters"): "imported when a dead-letters command runs",
    ("bot.app.cli", "bot.app.cli_digest"): "imported when a digest/idea/outbox/intake command runs",
    ("bot.app.cli", "bot.features.digests.cli"): "imported when a digest command runs",
    ("bot.app.cli", "bot.features.ideas.cli"): "imported when an idea command runs",
    ("bot.app.cli", "bot.app.cli_ops"): "imported when keys/retention/backup/restore/doctor runs",
    ("bot.app.cli", "bot.features.dashboard.cli"): "imported when a user command runs",
    ("bot.app.cli", "bot.app.doctor"): "serve's preflight: start-up time of every other command",
    ("bot.app.cli", "bot.core.channel_registry"): "chat only (it loads the engine and the ORM)",
    ("bot.app.cli", "bot.core.chat_session"): "chat only (it loads the engine and the ORM)",
    ("bot.app.cli", "bot.core.migrate"): "Alembic, for serve, chat and db upgrade",
    ("bot.app.cli", "bot.core.store"): "SQLAlchemy's engine, for serve and db upgrade",
    ("bot.app.cli_content", "bot.app.content_stats"): "the engine and a store, for stats only",
    ("bot.app.cli", "bot.app.channels_check"): "start-up time of every other command",
    ("bot.app.cli_digest", "bot.app.intake_process"): "FastAPI, for `hanya intake run` only: "
                                                       "a digest's dry run stays light",
    ("bot.features.digests.cli", "bot.features.digests.scheduler"): "APScheduler, for one "
                                                                     "command",
    ("bot.app.content_stats", "bot.app.runtime"): "imported by the CLI at start; stats only",
    ("bot.app.content_stats", "bot.core.migrate"): "Alembic, for `hanya content stats` only",
    # Letters kept before the neutral format are read by their channel's parser, for `replay`
    # only: the other dead-letters commands start without the channels' SDKs.
    ("bot.app.cli_dead_letters", "webhooks.telegram"): "python-telegram-bot, for old letters",
    ("bot.app.cli_dead_letters", "webhooks.twilio_sms"): "the Twilio parser, for old letters",
    # Issue #23: the engine names the contact's row and the session in annotations only, so the
    # conversations (and the content check that renders their replies) load without the ORM.
    ("bot.core.engine", "bot.core.models"): "annotations only: content check without the ORM",
    ("bot.core.engine", "bot.core.crypto"): "annotations only: content check without cryptography",
    ("bot.core.messages", "bot.core.crypto"): "annotations only: rendering without cryptography",
    # The idea box asks whether the sender is enrolled in a committee; the committees' tables
    # are not needed to load the idea conversation.
    ("handlers.idea", "bot.features.committees.models"): "an optional look at another feature",
}


@pytest.fixture(scope="module")
def imports() -> Graph:
    return graph()


def _layer(module: str) -> str | None:
    return next((layer for layer in ALLOWED if module == layer or
                 module.startswith(layer + ".")), None)


def _crossings(g: Graph) -> list[Edge]:
    wrong = []
    for edge in g.edges:
        layer = _layer(edge.source)
        if layer is None:  # bot.app and webhooks wire everything
            continue
        if not any(edge.target == ok or edge.target.startswith(ok + ".")
                   for ok in ALLOWED[layer]):
            wrong.append(edge)
    return wrong


def test_no_layer_imports_a_higher_one(imports: Graph) -> None:
    assert any(m.startswith("bot.core.") for m in imports.modules), "bot/core/ is laid out"
    assert _crossings(imports) == []


def test_no_import_circle_even_through_deferred_imports(imports: Graph) -> None:
    assert circles(imports) == []


def test_features_do_not_import_each_other_in_a_circle(imports: Graph) -> None:
    """Digests read the committees' and ideas' tables; none of those reads the digests back."""
    features = sorted({".".join(m.split(".")[:3]) for m in imports.modules
                       if m.startswith("bot.features.")})
    packages = Graph(features, [Edge(".".join(e.source.split(".")[:3]),
                                     ".".join(e.target.split(".")[:3]), e.line, e.deferred)
                                for e in imports.edges
                                if e.source.startswith("bot.features.")
                                and e.target.startswith("bot.features.")])
    assert len(features) >= 5
    assert circles(packages) == []


def test_every_deferred_import_has_a_reason(imports: Graph) -> None:
    deferred = {(e.source, e.target) for e in imports.edges if e.deferred}
    assert deferred - DEFERRED.keys() == set(), "hoist it, or say here why it waits"
    assert DEFERRED.keys() - deferred == set(), "no longer deferred: drop it from DEFERRED"


def test_the_checks_see_a_crossing_and_a_circle() -> None:
    """The checks themselves: a core module importing a conversation, and a circle, are seen."""
    g = Graph(["bot.core.a", "handlers.b"], [Edge("bot.core.a", "handlers.b", 1, True),
                                              Edge("handlers.b", "bot.core.a", 1, False)])
    assert _crossings(g) == [g.edges[0]]
    assert circles(g) == [["bot.core.a", "handlers.b"]]
