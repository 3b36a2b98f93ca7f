"""Import every module that defines tables, so Alembic and the tests see the whole schema.

A feature that adds tables in its own module adds one import line here (kept sorted).
"""

import bot.core.guard  # noqa: F401
import bot.core.liveness  # noqa: F401
import bot.core.models  # noqa: F401
import bot.core.recipients  # noqa: F401
import bot.features.committees.models  # noqa: F401
import bot.features.dashboard.models  # noqa: F401
import bot.features.digests.models  # noqa: F401
import bot.features.ideas.models  # noqa: F401
