"""The accessibility audit reports violations where there are some.

Kept apart from test_accessibility.py because it needs no database: the audits there
pass because the pages are right, and this shows that it is not because axe-core did
not run.
"""

from __future__ import annotations

from yangguang.tests_e2e.browser import axe_violations


def test_the_audit_finds_violations_where_there_are_some(browser):
    context = browser.new_context()
    page = context.new_page()
    page.set_content('<html><head><title>t</title></head><body><main>'
                     '<img src="data:,"><input type="text"></main></body></html>')

    rules = {v["id"] for v in axe_violations(page)}
    context.close()

    assert {"image-alt", "label", "html-has-lang"} <= rules
