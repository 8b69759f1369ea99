"""Load the shipped region tree (data/regions.csv.gz), so a fresh database is usable.

Later data releases are applied with ``yangguang regions load`` (an upsert), or by a
new migration calling the same loader.
"""

from django.db import migrations

from yangguang.regions.loader import load_regions, unload_regions


def load(apps, schema_editor):
    load_regions(apps, using=schema_editor.connection.alias)


def unload(apps, schema_editor):
    unload_regions(apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
