"""One plant-health vocabulary across vendors (issue 14, vendors.base.PLANT_HEALTH): rewrite the words the
adapters stored before ("healthy", "disconnected", "faulty", Growatt's "no data")."""

from django.db import migrations

RENAMES = {"healthy": "ok", "disconnected": "offline", "faulty": "fault", "no data": "no_data"}


def forwards(apps, schema_editor):
    for model in ("Plant", "PlantTelemetry"):
        manager = apps.get_model("fleets", model).objects
        for old, new in RENAMES.items():
            manager.filter(health=old).update(health=new)


class Migration(migrations.Migration):
    dependencies = [("fleets", "0003_enrolment_telemetry_fleet_filters")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
