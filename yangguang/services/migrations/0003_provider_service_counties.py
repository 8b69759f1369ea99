from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0001_initial"),
        ("services", "0002_need_survey_detail"),
    ]

    operations = [
        migrations.AddField(
            model_name="provider",
            name="service_counties",
            field=models.ManyToManyField(blank=True, related_name="+", to="regions.region",
                                         verbose_name="服务的邻近县"),
        ),
    ]
