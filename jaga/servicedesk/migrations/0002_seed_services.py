"""The service catalogue every desk starts with (an admin edits it afterwards)."""

from __future__ import annotations

from django.db import migrations

YES_NO = [
    {"key": "ya", "name_id": "Ya", "name_en": "Yes"},
    {"key": "tidak", "name_id": "Tidak", "name_en": "No"},
]
TIME_OF_DAY = [
    {"key": "pagi", "name_id": "Pagi", "name_en": "Morning"},
    {"key": "siang", "name_id": "Siang", "name_en": "Afternoon"},
    {"key": "sore", "name_id": "Sore", "name_en": "Evening"},
    {"key": "malam", "name_id": "Malam", "name_en": "Night"},
]

# code, group, SLA hours, incident category, sensitive, name id, name en, description id, en
SERVICES = [
    ("knalpot_brong", "kamtibmas", 72, "knalpot_brong", False,
     "Knalpot brong", "Illegal loud exhaust",
     "Kendaraan dengan knalpot tidak standar yang mengganggu warga.",
     "Vehicles with non-standard exhausts disturbing residents."),
    ("balap_liar", "kamtibmas", 48, "balap_liar", False,
     "Balap liar", "Street racing",
     "Balapan liar di jalan umum, sering pada malam hari.",
     "Illegal racing on public roads, often at night."),
    ("sajam", "kamtibmas", 24, "sajam", False,
     "Senjata tajam", "Sharp weapons",
     "Orang membawa atau mengancam dengan senjata tajam.",
     "Someone carrying or threatening with a sharp weapon."),
    ("senpi", "kamtibmas", 12, "senpi", False,
     "Senjata api", "Firearms",
     "Kepemilikan atau penggunaan senjata api tanpa izin.",
     "Unlicensed possession or use of firearms."),
    ("handak", "kamtibmas", 12, "handak", False,
     "Bahan peledak / mercon", "Explosives and firecrackers",
     "Bahan peledak, mercon atau petasan berbahaya.",
     "Explosives, dangerous firecrackers."),
    ("miras", "kamtibmas", 72, "miras", False,
     "Minuman keras", "Alcohol",
     "Penjualan atau pesta minuman keras yang mengganggu.",
     "Sale of alcohol or drinking parties that disturb."),
    ("narkoba", "kamtibmas", 72, "narkoba", False,
     "Narkoba", "Drugs",
     "Peredaran atau penyalahgunaan narkoba.",
     "Drug dealing or abuse."),
    ("judi", "kamtibmas", 72, "judi", False,
     "Perjudian", "Gambling",
     "Perjudian, termasuk judi sabung ayam dan judi daring.",
     "Gambling, including cockfights and online gambling."),
    ("pencurian", "kamtibmas", 48, "pencurian", False,
     "Pencurian", "Theft",
     "Pencurian barang, ternak atau hasil kebun.",
     "Theft of goods, livestock or crops."),
    ("curanmor", "kamtibmas", 24, "curanmor", False,
     "Pencurian kendaraan bermotor", "Motor-vehicle theft",
     "Sepeda motor atau mobil dicuri.",
     "A motorbike or car was stolen."),
    ("perkelahian", "conflict", 12, "perkelahian", False,
     "Perkelahian / bentrok perguruan silat", "Fights and clashes between martial-arts groups",
     "Perkelahian, pengeroyokan atau bentrok antar perguruan silat.",
     "Fights, gang assaults or clashes between martial-arts schools."),
    ("kdrt", "protection", 24, "kdrt", True,
     "Kekerasan dalam rumah tangga", "Domestic violence",
     "Kekerasan terhadap pasangan, anak atau anggota keluarga lain. Laporan ini tidak pernah "
     "ditampilkan ke publik.",
     "Violence against a partner, child or other family member. Never shown publicly."),
    ("pasung", "protection", 72, "pasung", True,
     "Orang dipasung", "A person in shackles (pasung)",
     "Orang dengan gangguan jiwa yang dipasung atau dikurung.",
     "A person with a mental illness kept in shackles or locked up."),
    ("bencana", "disaster", 6, "bencana", False,
     "Bencana", "Disaster",
     "Banjir, tanah longsor, kebakaran, angin kencang atau bencana lain.",
     "Flood, landslide, fire, storm or another disaster."),
    ("kehilangan", "service", 72, None, False,
     "Kehilangan dokumen", "Lost documents",
     "Permohonan surat keterangan kehilangan (KTP, SIM, STNK, ...).",
     "A request for a certificate of loss (ID card, licence, registration, ...)."),
    ("pengaduan", "service", 120, None, False,
     "Pengaduan pelayanan polisi", "Complaint about police service",
     "Keluhan atau saran tentang pelayanan anggota Polri.",
     "A complaint or suggestion about the service of police officers."),
]

# service, code, datatype, required, prompt id, prompt en, values
QUESTIONS = [
    ("knalpot_brong", "waktu", "singlevaluelist", False, "Kapan biasanya terjadi?",
     "When does it usually happen?", TIME_OF_DAY),
    ("balap_liar", "waktu", "singlevaluelist", True, "Kapan balap liar terjadi?",
     "When does the racing happen?", TIME_OF_DAY),
    ("balap_liar", "berulang", "singlevaluelist", False, "Apakah terjadi berulang kali?",
     "Does it happen again and again?", YES_NO),
    ("sajam", "ancaman", "singlevaluelist", True, "Apakah ada yang diancam atau terluka?",
     "Was anyone threatened or hurt?", YES_NO),
    ("senpi", "ancaman", "singlevaluelist", True, "Apakah senjata digunakan untuk mengancam?",
     "Was the weapon used to threaten?", YES_NO),
    ("pencurian", "barang", "text", True, "Barang apa yang hilang?", "What was stolen?", []),
    ("pencurian", "kerugian", "number", False, "Perkiraan kerugian (Rupiah)",
     "Estimated loss (rupiah)", []),
    ("curanmor", "jenis", "singlevaluelist", True, "Jenis kendaraan", "Kind of vehicle", [
        {"key": "motor", "name_id": "Sepeda motor", "name_en": "Motorbike"},
        {"key": "mobil", "name_id": "Mobil", "name_en": "Car"},
        {"key": "lainnya", "name_id": "Lainnya", "name_en": "Other"},
    ]),
    ("curanmor", "nopol", "string", False, "Nomor polisi kendaraan", "Number plate", []),
    ("perkelahian", "jumlah", "number", False, "Kira-kira berapa orang terlibat?",
     "About how many people are involved?", []),
    ("perkelahian", "perguruan", "string", False, "Perguruan silat yang terlibat (jika tahu)",
     "Martial-arts schools involved (if known)", []),
    ("kdrt", "aman", "singlevaluelist", True, "Apakah korban sekarang aman?",
     "Is the victim safe now?", YES_NO),
    ("bencana", "jenis", "singlevaluelist", True, "Jenis bencana", "Kind of disaster", [
        {"key": "banjir", "name_id": "Banjir", "name_en": "Flood"},
        {"key": "longsor", "name_id": "Tanah longsor", "name_en": "Landslide"},
        {"key": "kebakaran", "name_id": "Kebakaran", "name_en": "Fire"},
        {"key": "angin", "name_id": "Angin kencang", "name_en": "Storm"},
        {"key": "lainnya", "name_id": "Lainnya", "name_en": "Other"},
    ]),
    ("bencana", "korban", "singlevaluelist", True, "Apakah ada korban jiwa atau luka?",
     "Is anyone dead or injured?", YES_NO),
    ("kehilangan", "dokumen", "multivaluelist", True, "Dokumen yang hilang",
     "Documents lost", [
        {"key": "ktp", "name_id": "KTP", "name_en": "ID card (KTP)"},
        {"key": "kk", "name_id": "Kartu Keluarga", "name_en": "Family card (KK)"},
        {"key": "sim", "name_id": "SIM", "name_en": "Driving licence (SIM)"},
        {"key": "stnk", "name_id": "STNK", "name_en": "Vehicle registration (STNK)"},
        {"key": "bpkb", "name_id": "BPKB", "name_en": "Vehicle ownership book (BPKB)"},
        {"key": "ijazah", "name_id": "Ijazah", "name_en": "School certificate"},
        {"key": "atm", "name_id": "Kartu ATM / buku tabungan", "name_en": "Bank card or book"},
        {"key": "lainnya", "name_id": "Lainnya", "name_en": "Other"},
    ]),
    ("pengaduan", "kesatuan", "string", False, "Kesatuan atau Polsek yang dikeluhkan",
     "Unit or Polsek concerned", []),
]


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Service = apps.get_model("servicedesk", "Service")
    Question = apps.get_model("servicedesk", "ServiceQuestion")
    Category = apps.get_model("incidents", "Category")
    categories = {c.code: c for c in Category.objects.all()}
    by_code = {}
    for order, row in enumerate(SERVICES, start=1):
        code, group, sla, category, sensitive, name_id, name_en, desc_id, desc_en = row
        by_code[code] = Service.objects.create(
            code=code,
            group=group,
            sla_hours=sla,
            category=categories.get(category) if category else None,
            sensitive=sensitive,
            name_id=name_id,
            name_en=name_en,
            description_id=desc_id,
            description_en=desc_en,
            sort_order=order * 10,
        )
    orders: dict[str, int] = {}
    for service, code, datatype, required, prompt_id, prompt_en, values in QUESTIONS:
        orders[service] = order = orders.get(service, 0) + 1
        Question.objects.create(
            service=by_code[service],
            code=code,
            datatype=datatype,
            required=required,
            prompt_id=prompt_id,
            prompt_en=prompt_en,
            values=values,
            order=order,
        )


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("servicedesk", "ServiceQuestion").objects.all().delete()
    apps.get_model("servicedesk", "Service").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("servicedesk", "0001_desk"),
        ("incidents", "0002_seed_categories"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
