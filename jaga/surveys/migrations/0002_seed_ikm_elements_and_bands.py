"""The nine IKM elements of PermenPANRB 14/2017 (weight 1/9 each) and the grade bands."""

from decimal import Decimal

from django.db import migrations

ELEMENTS = [
    ("u1", "Persyaratan", "Requirements"),
    ("u2", "Sistem, mekanisme dan prosedur", "System, mechanism and procedure"),
    ("u3", "Waktu penyelesaian", "Completion time"),
    ("u4", "Biaya/tarif", "Cost / fee"),
    ("u5", "Produk spesifikasi jenis pelayanan", "Service product specification"),
    ("u6", "Kompetensi pelaksana", "Staff competence"),
    ("u7", "Perilaku pelaksana", "Staff behaviour"),
    ("u8", "Penanganan pengaduan, saran dan masukan", "Handling of complaints, suggestions and input"),
    ("u9", "Sarana dan prasarana", "Facilities and infrastructure"),
]
BANDS = [
    ("A", "88.31", "100.00", "Sangat baik", "Very good"),
    ("B", "76.61", "88.30", "Baik", "Good"),
    ("C", "65.00", "76.60", "Kurang baik", "Below good"),
    ("D", "25.00", "64.99", "Tidak baik", "Not good"),
]


def seed(apps, schema_editor):
    IkmElement = apps.get_model("surveys", "IkmElement")
    IkmBand = apps.get_model("surveys", "IkmBand")
    weight = (Decimal(1) / Decimal(9)).quantize(Decimal("0.000001"))
    for number, (code, name_id, name_en) in enumerate(ELEMENTS, start=1):
        IkmElement.objects.create(
            code=code, number=number, name_id=name_id, name_en=name_en, weight=weight
        )
    for grade, lower, upper, label_id, label_en in BANDS:
        IkmBand.objects.create(
            grade=grade, lower=Decimal(lower), upper=Decimal(upper), label_id=label_id, label_en=label_en
        )


def unseed(apps, schema_editor):
    apps.get_model("surveys", "IkmElement").objects.all().delete()
    apps.get_model("surveys", "IkmBand").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_ikm_and_trust_surveys")]
    operations = [migrations.RunPython(seed, unseed)]
