"""Message rendering with Jinja2 in a sandbox: rule authors' templates cannot reach Python internals."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from jinja2.sandbox import SandboxedEnvironment

from grokpipe.api.checks import layouts

Layout = Literal["alert", "error", "digest", "check", "report"]
Part = Literal["markdown", "html"]

_ENV = SandboxedEnvironment(autoescape=False, trim_blocks=True, lstrip_blocks=True)
_HTML_ENV = SandboxedEnvironment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

TITLE = "[{{ kind | upper }}] {{ rule.name }}{% if group %} · {{ group.values() | join(' / ') }}{% endif %}"

MARKDOWN = """\
### {{ title }}
- **count**: {{ count }}{% if previous is not none %} (previous window: {{ previous }}){% endif %}
{% if value is not none %}- **value**: {{ value }}
{% endif %}
- **window**: {{ start }} → {{ end }}
{% for k, v in group.items() %}- **{{ k }}**: {{ v }}
{% endfor %}
{% if samples %}

{% for doc in samples %}> {{ doc.get('message', '') | truncate(300) }}

{% endfor %}{% endif %}"""

HTML = """\
<html><body style="font-family:sans-serif">
<h2>{{ title }}</h2>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th align="left">rule</th><td>{{ rule.name }}</td></tr>
<tr><th align="left">status</th><td>{{ kind }}</td></tr>
<tr><th align="left">window</th><td>{{ start }} → {{ end }}</td></tr>
<tr><th align="left">count</th><td>{{ count }}</td></tr>
{% for k, v in group.items() %}<tr><th align="left">{{ k }}</th><td>{{ v }}</td></tr>
{% endfor %}
</table>
{% if samples %}
<h3>First matching events</h3>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>@timestamp</th><th>host</th><th>message</th></tr>
{% for doc in samples %}<tr><td>{{ doc.get('@timestamp', '') }}</td>\
<td>{{ (doc.get('host') or {}).get('name', '') }}</td><td>{{ doc.get('message', '') | truncate(500) }}</td></tr>
{% endfor %}
</table>
{% endif %}
</body></html>"""


def render(template: str, context: dict[str, Any], *, html: bool = False) -> str:
    env = _HTML_ENV if html else _ENV
    return env.from_string(template).render(**context)


ERROR_TITLE = "[{{ kind | upper }} ERROR] {{ group.title | truncate(120) }}"

ERROR_MARKDOWN = """\
### {{ title }}
- **culprit**: {{ group.culprit or 'unknown' }}
- **level**: {{ group.level or 'unknown' }}
- **events**: {{ group.total }} since {{ group.first_seen }}
- **last seen**: {{ group.last_seen }}
{% if group.owner %}- **owner**: {{ group.owner.name }} <{{ group.owner.email }}>
{% endif %}
{% if samples %}

{% for doc in samples %}> {{ doc.get('message', '') | truncate(300) }}

{% endfor %}{% endif %}"""

ERROR_HTML = """\
<html><body style="font-family:sans-serif">
<h2>{{ title }}</h2>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th align="left">title</th><td>{{ group.title }}</td></tr>
<tr><th align="left">culprit</th><td>{{ group.culprit or 'unknown' }}</td></tr>
<tr><th align="left">level</th><td>{{ group.level or 'unknown' }}</td></tr>
<tr><th align="left">events</th><td>{{ group.total }}</td></tr>
<tr><th align="left">first seen</th><td>{{ group.first_seen }}</td></tr>
<tr><th align="left">last seen</th><td>{{ group.last_seen }}</td></tr>
<tr><th align="left">owner</th><td>{% if group.owner %}{{ group.owner.name }} &lt;{{ group.owner.email }}&gt;\
{% else %}unknown{% endif %}</td></tr>
</table>
</body></html>"""

DIGEST_TITLE = (
    "{{ digest.name }}: {{ totals.new }} new, {{ totals.regressed }} regressed, "
    "{{ totals.groups }} errors, {{ totals.events }} events"
)

DIGEST_MARKDOWN = """\
### {{ title }}
{{ period.start }} → {{ period.end }}

{% for row in rows %}
{{ loop.index }}. {% if row.flag != 'ongoing' %}**[{{ row.flag | upper }}]** {% endif %}{{ row.title | truncate(160) }}
   - {{ row.culprit or 'unknown' }} · {{ row.count }} in the period, {{ row.total }} in all\
 · first seen {{ row.first_seen }}\
{% if row.owner %} · owner {{ row.owner.name }}{% if row.mention %} @{{ row.mention }}{% endif %}{% endif %}

{% else %}
No errors in this period.
{% endfor %}"""

DIGEST_HTML = """\
<html><body style="font-family:sans-serif">
<h2>{{ title }}</h2>
<p>{{ period.start }} → {{ period.end }}</p>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>status</th><th>error</th><th>culprit</th><th>count</th><th>total</th><th>first seen</th><th>owner</th></tr>
{% for row in rows %}<tr class="{{ row.flag }}"\
{% if row.flag == 'new' %} style="background:#fde2e2"\
{% elif row.flag == 'regressed' %} style="background:#fff3cd"{% endif %}>\
<td>{{ row.flag }}</td><td>{{ row.title | truncate(300) }}</td><td>{{ row.culprit or '' }}</td>\
<td align="right">{{ row.count }}</td><td align="right">{{ row.total }}</td><td>{{ row.first_seen }}</td>\
<td>{% if row.owner %}{{ row.owner.name }} &lt;{{ row.owner.email }}&gt;{% endif %}</td></tr>
{% endfor %}
</table>
</body></html>"""


@dataclass(frozen=True)
class Templates:
    title: str
    markdown: str
    html: str


LAYOUTS: dict[str, Templates] = {
    "alert": Templates(TITLE, MARKDOWN, HTML),
    "error": Templates(ERROR_TITLE, ERROR_MARKDOWN, ERROR_HTML),
    "digest": Templates(DIGEST_TITLE, DIGEST_MARKDOWN, DIGEST_HTML),
    "check": Templates(layouts.CHECK_TITLE, layouts.CHECK_MARKDOWN, layouts.CHECK_HTML),
    "report": Templates(layouts.REPORT_TITLE, layouts.REPORT_MARKDOWN, layouts.REPORT_HTML),
}
