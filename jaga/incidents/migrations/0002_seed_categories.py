"""The category tree: Polri's four groups and the local types that desks and raids use."""

from django.db import migrations

GROUPS = [
    ("konvensional", "Kejahatan konvensional", "Conventional crime"),
    ("transnasional", "Kejahatan transnasional", "Transnational crime"),
    ("kekayaan_negara", "Kejahatan terhadap kekayaan negara", "Crime against state assets"),
    ("kontinjensi", "Kejahatan berimplikasi kontinjensi", "Contingency disturbances"),
]

# code, parent group, Indonesian, English, legal basis (to verify with the unit)
LOCAL = [
    ("knalpot_brong", "konvensional", "Knalpot brong", "Illegal loud exhaust", "UU 22/2009 LLAJ Ps 285"),
    ("balap_liar", "konvensional", "Balap liar", "Street racing", "UU 22/2009 LLAJ Ps 297"),
    ("sajam", "konvensional", "Senjata tajam", "Sharp weapons", "UU Darurat 12/1951"),
    ("senpi", "konvensional", "Senjata api", "Firearms", "UU Darurat 12/1951"),
    ("handak", "konvensional", "Bahan peledak", "Explosives", "UU Darurat 12/1951"),
    ("miras", "konvensional", "Minuman keras", "Alcohol", "Perda; KUHP"),
    ("judi", "konvensional", "Perjudian", "Gambling", "KUHP"),
    ("pencurian", "konvensional", "Pencurian", "Theft", "KUHP"),
    ("curanmor", "konvensional", "Pencurian kendaraan bermotor", "Motor-vehicle theft", "KUHP"),
    ("penganiayaan", "konvensional", "Penganiayaan", "Assault", "KUHP"),
    ("perkelahian", "konvensional", "Perkelahian / bentrok perguruan silat", "Fights and clashes between martial-arts groups", "KUHP"),
    ("kdrt", "konvensional", "Kekerasan dalam rumah tangga", "Domestic violence", "UU 23/2004"),
    ("penipuan", "konvensional", "Penipuan", "Fraud", "KUHP"),
    ("narkoba", "transnasional", "Narkoba", "Drugs", "UU 35/2009"),
    ("ilegal_logging", "kekayaan_negara", "Pembalakan liar", "Illegal logging", "UU 18/2013"),
    ("ilegal_mining", "kekayaan_negara", "Penambangan liar", "Illegal mining", "UU 3/2020"),
    ("pasung", "kontinjensi", "Pemasungan ODGJ", "A person in shackles (pasung)", "UU 18/2014 Kesehatan Jiwa"),
    ("bencana", "kontinjensi", "Bencana", "Disaster", "UU 24/2007"),
    ("konflik_sosial", "kontinjensi", "Konflik sosial", "Social conflict", "UU 7/2012"),
    ("laka_lantas", "kontinjensi", "Kecelakaan lalu lintas", "Traffic accident", "UU 22/2009 LLAJ"),
]


def seed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    parents = {}
    for order, (code, name_id, name_en) in enumerate(GROUPS):
        parents[code] = Category.objects.create(
            code=code, name_id=name_id, name_en=name_en, group=code, sort_order=order
        )
    for order, (code, group, name_id, name_en, basis) in enumerate(LOCAL, start=10):
        Category.objects.create(
            code=code,
            name_id=name_id,
            name_en=name_en,
            parent=parents[group],
            group=group,
            legal_basis=basis,
            sort_order=order,
        )


def unseed(apps, schema_editor):
    Category = apps.get_model("incidents", "Category")
    Category.objects.filter(parent__isnull=False).delete()
    Category.objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
