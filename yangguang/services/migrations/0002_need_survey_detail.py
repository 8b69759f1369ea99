"""Needs taken from the survey kept the survey's Chinese label in ``note`` (so English
pages showed Chinese): the code goes to ``survey_detail`` and ``note`` is emptied, so
the label is rendered through gettext in the reader's language."""

from django.db import migrations, models

# The labels the survey's choices had when the needs were written (survey.models
# RehabilitationNeed and DeviceNeed), frozen here as a migration must be.
REHABILITATION = {"康复医疗": "medical", "康复训练": "training", "支持性服务": "support"}
DEVICE = {"移动类辅具": "mobility", "视力类辅具": "visual", "听力类辅具": "hearing",
          "生活自理类辅具": "self_care", "假肢矫形器": "prosthesis"}


def labels_to_codes(apps, schema_editor):
    Need = apps.get_model("services", "Need")
    for need in Need.objects.filter(source="survey").exclude(note="").only("kind", "note"):
        table = DEVICE if need.kind == "device_fitting" else REHABILITATION
        code = table.get(need.note.strip())
        if code is not None:
            Need.objects.filter(pk=need.pk).update(survey_detail=code, note="")


def codes_to_labels(apps, schema_editor):
    Need = apps.get_model("services", "Need")
    back = {("device", c): label for label, c in DEVICE.items()}
    back |= {("rehabilitation", c): label for label, c in REHABILITATION.items()}
    for need in Need.objects.exclude(survey_detail="").only("kind", "survey_detail"):
        side = "device" if need.kind == "device_fitting" else "rehabilitation"
        Need.objects.filter(pk=need.pk).update(
            note=back.get((side, need.survey_detail), need.survey_detail))


class Migration(migrations.Migration):

    dependencies = [("services", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="need",
            name="survey_detail",
            field=models.CharField(blank=True, max_length=20, verbose_name="调查所报需求"),
        ),
        migrations.RunPython(labels_to_codes, codes_to_labels),
    ]
