from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """The shared spreadsheet import; domains register their kinds (``spec.register``)."""

    name = "yangguang.imports"
    label = "imports"
