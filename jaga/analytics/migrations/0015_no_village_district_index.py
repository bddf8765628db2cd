"""The village roll-up's (district_code, month) index is dropped.

Every read of a district's village rows names its regency too (`jaga.accounts.access.key_q`, the
distribution key beside the territory condition), so the (regency_code, month) index finds the
regency's rows of those months and the district's are filtered from them. The table has one index
fewer to build when the rebuild builds it anew and to update on every incident written
(BENCHMARKS.md, *Rebuild, fourteenth session*).
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("analytics", "0014_area_key_covers_count")]

    operations = [
        migrations.RemoveIndex(
            model_name="monthlyincidentcount", name="analytics_m_distric_45eb2b_idx"
        ),
    ]
