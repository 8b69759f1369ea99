"""The accounts tests' staff factory, for the audit pages' tests."""

from yangguang.accounts.tests.conftest import staff  # noqa: F401
