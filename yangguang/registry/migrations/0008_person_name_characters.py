"""On PostgreSQL, a GIN index of each person's name as an array of its characters, so
that a name is found by any part (``selectors.search_persons``): the characters of
the part narrow the rows through the index, and ``LIKE '%part%'`` decides. A
trigram index (pg_trgm) would need an extension and finds nothing shorter than three
characters, where most searches for Chinese names fall. SQLite has no such index
and scans the rows of the user's scope (a county)."""

from django.db import migrations

INDEX = "person_name_characters"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX {INDEX} ON registry_person"
                              " USING gin (regexp_split_to_array(name, ''))")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):

    dependencies = [("registry", "0007_importjob_kind")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
