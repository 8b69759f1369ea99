"""The `yangguang` command: Django's management commands with Yangguang's settings."""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "yangguang.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "yangguang"
    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
