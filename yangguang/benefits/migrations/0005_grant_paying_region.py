"""The county that pays a grant (``BenefitGrant.paying_region``): the county of the
person's hukou when it was granted, filled for the existing grants from the current
hukou (the only hukou known); what ended a grant and when (``stop_cause``,
``stop_event_on``), so that a corrected event restarts it (empty for grants stopped
before)."""

import django.db.models.deletion
from django.db import migrations, models


def fill(apps, schema_editor):
    Grant = apps.get_model("benefits", "BenefitGrant")
    Person = apps.get_model("registry", "Person")
    hukou = dict(Person.objects.filter(pk__in=Grant.objects.values("person_id"))
                 .values_list("pk", "hukou_region_id"))
    for grant in Grant.objects.filter(paying_region__isnull=True).only("pk", "person_id"):
        grant.paying_region_id = hukou[grant.person_id][:6].ljust(12, "0")
        grant.save(update_fields=["paying_region"])


class Migration(migrations.Migration):

    dependencies = [
        ("benefits", "0004_deadlines_residence_screening_items"),
        ("regions", "0002_load_regions"),
        ("registry", "0010_person_moved_away"),
    ]

    operations = [
        migrations.AddField(
            model_name="benefitgrant",
            name="paying_region",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT,
                                    related_name="+", to="regions.region",
                                    verbose_name="发放地（县级）"),
        ),
        migrations.AddField(
            model_name="benefitgrant",
            name="stop_cause",
            field=models.CharField(blank=True, max_length=30, verbose_name="停发事由"),
        ),
        migrations.AddField(
            model_name="benefitgrant",
            name="stop_event_on",
            field=models.DateField(blank=True, null=True, verbose_name="停发事由发生日期"),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="benefitgrant",
            name="paying_region",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+",
                                    to="regions.region", verbose_name="发放地（县级）"),
        ),
    ]
