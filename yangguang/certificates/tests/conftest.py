from yangguang.registry.tests.conftest import staff  # noqa: F401 (a fixture)
