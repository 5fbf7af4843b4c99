"""Power-target tests use the dispatch API's fixtures and, end to end, the engine's workers and world."""

from tests.dispatch.api.conftest import fast_password_hashing  # noqa: F401
from tests.dispatch.engine.conftest import engine_settings, start_engine, world  # noqa: F401
