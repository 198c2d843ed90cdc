"""Message rendering with Jinja2 in a sandbox: rule authors' templates cannot reach Python internals."""

from __future__ import annotations

from typing import Any

from jinja2.sandbox import SandboxedEnvironment

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
