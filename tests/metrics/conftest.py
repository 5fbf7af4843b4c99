from tests.dispatch.engine.conftest import engine_settings, start_engine, world  # noqa: F401 (fixtures)
