"""Settings of the server the web benchmark measures: the project's own settings, with
the benchmark's URLconf (the project's URLs plus the baseline pages) and templates."""

from pathlib import Path

from yangguang.settings import *  # noqa: F403
from yangguang.settings import TEMPLATES

ROOT_URLCONF = "bench_urls"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]
