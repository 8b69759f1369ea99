"""The names a page shows in both languages: the plan's title, issuer and status, and
its jurisdiction's English name (the plan files give ``title_en`` and the others)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("plans", "0002_task_progress")]

    operations = [
        migrations.RenameField("plan", "title", "title_zh"),
        migrations.RenameField("plan", "issuer", "issuer_zh"),
        migrations.RenameField("plan", "status", "status_zh"),
        migrations.AddField("plan", "title_en", models.CharField(
            blank=True, max_length=200, verbose_name="规划名称（英文）")),
        migrations.AddField("plan", "jurisdiction_en", models.CharField(
            blank=True, max_length=200, verbose_name="辖区（英文）")),
        migrations.AddField("plan", "issuer_en", models.CharField(
            blank=True, max_length=200, verbose_name="发布机关（英文）")),
        migrations.AddField("plan", "status_en", models.CharField(
            blank=True, max_length=100, verbose_name="文件状态（英文）")),
        # The file hash covers the English names: every plan is written again on the next load.
        migrations.RunSQL("UPDATE plans_plan SET file_hash = ''", migrations.RunSQL.noop),
    ]
