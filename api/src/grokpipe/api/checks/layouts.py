"""Default message templates of the ``check`` (down / recovered) and ``report`` layouts.

Registered here in :data:`api.templates.LAYOUTS` (:data:`CHECK`, :data:`REPORT` are the names the messages use);
rendered in the same sandbox (HTML autoescaped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grokpipe.api import templates

CHECK_TITLE = "[{{ kind | upper }}] {{ check.name }}{% if kind == 'down' %}: {{ run.down }} of \
{{ run.up + run.down }} failed{% endif %}"

CHECK_MARKDOWN = """\
### {{ title }}
- **run**: {{ when(run.started) }} ({{ run.run_id }})
{% if since %}
- **down since**: {{ when(since) }}
{% endif %}
{% if url %}
- [open in grokpipe]({{ url }})
{% endif %}
{% for row in rows %}
- {% if row.status == 'down' %}**FAILED**{% else %}OK{% endif %} {{ row.row_key or check.name }}\
{% if row.error %}: {{ row.error | truncate(300) }}{% endif %}

{% endfor %}"""

CHECK_HTML = """\
<html><body style="font-family:sans-serif">
<h2>{% if url %}<a href="{{ url }}">{{ title }}</a>{% else %}{{ title }}{% endif %}</h2>
<p>run {{ when(run.started) }} ({{ run.run_id }}){% if since %}, down since {{ when(since) }}{% endif %}</p>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>row</th><th>status</th><th>error</th></tr>
{% for row in rows %}<tr class="{{ row.status }}"{% if row.status == 'down' %} style="background:#fde2e2"{% endif %}>\
<td>{{ row.row_key or check.name }}</td><td>{{ row.status }}</td><td>{{ row.error or '' }}</td></tr>
{% endfor %}
</table>
</body></html>"""

REPORT_TITLE = (
    "{{ report.name }}: executed {{ totals.executed }}; passed {{ totals.passed }}; failed {{ totals.failed }}"
)

REPORT_MARKDOWN = """\
### {{ report.name }}
**executed {{ totals.executed }}; passed {{ totals.passed }}; failed {{ totals.failed }}**

{% for row in rows %}
{% set row_url = link('checks/' ~ row.check_id) if row.check_id else none %}
- {% if row.failed %}**FAILED**{% else %}OK{% endif %} \
{% if row_url %}[{{ row.label }}]({{ row_url }}){% else %}{{ row.label }}{% endif %}: \
{% for pair in row.pairs %}{{ pair[0] }} {{ pair[1] }}{% if not loop.last %} · {% endif %}{% endfor %}\
{% if row.failed and row.error %} — {{ row.error | truncate(200) }}{% endif %}

{% endfor %}"""

REPORT_HTML = """\
<html><body style="font-family:sans-serif">
<h2>{{ report.name }}</h2>
<h3>executed {{ totals.executed }}; passed {{ totals.passed }}; failed {{ totals.failed }}</h3>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr>{% for column in columns %}<th>{{ column }}</th>{% endfor %}</tr>
{% for row in rows %}<tr class="{{ 'failed' if row.failed else 'passed' }}"\
{% if row.failed %} style="background:#fde2e2;color:#b00020"{% endif %}>\
{% for cell in row.cells %}<td>{{ cell }}</td>{% endfor %}</tr>
{% endfor %}
</table>
<p style="color:#666">{{ when(generated) }}</p>
</body></html>"""


def check_page(rule: Mapping[str, Any], group: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    check = facts.get("check") or {}
    return f"checks/{check['id']}" if check.get("id") else None


def report_page(rule: Mapping[str, Any], group: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    return "checks"


CHECK = templates.register("check", templates.Templates(CHECK_TITLE, CHECK_MARKDOWN, CHECK_HTML, check_page))
REPORT = templates.register("report", templates.Templates(REPORT_TITLE, REPORT_MARKDOWN, REPORT_HTML, report_page))
