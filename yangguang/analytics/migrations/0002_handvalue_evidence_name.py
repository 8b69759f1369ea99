from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("analytics", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="handvalue",
            name="evidence_name",
            field=models.CharField(blank=True, max_length=200, verbose_name="佐证材料文件名"),
        ),
    ]
