"""Import every module that defines tables, so Alembic and the tests see the whole schema.

A feature that adds tables in its own module adds one import line here.
"""

from bot import models  # noqa: F401
