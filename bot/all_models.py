"""Import every module that defines tables, so Alembic and the tests see the whole schema.

A feature that adds tables in its own module adds one import line here (kept sorted).
"""

import bot.committee_models  # noqa: F401
import bot.dashboard_models  # noqa: F401
import bot.digest_models  # noqa: F401
import bot.guard  # noqa: F401
import bot.idea_models  # noqa: F401
import bot.models  # noqa: F401
import bot.recipients  # noqa: F401
