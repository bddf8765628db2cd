"""Settings of the throughput benchmark's server (`bench/throughput.py`): production settings
plus one URL module that adds the bare endpoint. Never used by Jaga itself."""

from jaga.settings import *  # noqa: F403

ROOT_URLCONF = "bench.throughput_urls"
