"""Message rendering with Jinja2 in a sandbox: rule authors' templates cannot reach Python internals.

Holds the ``alert``, ``error`` and ``digest`` layouts; a feature with layouts of its own registers them from its
package (:func:`register`, e.g. ``checks/layouts.py``), so rendering imports no feature.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from grokpipe.api import sandbox

Layout = Literal["alert", "error", "digest", "check", "report", "monitor"]
Part = Literal["markdown", "html"]
#: the console path of what a message is about, from its rule, group and facts (as JSON); None for no link
Page = Callable[[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]], str | None]

_ENV = sandbox.BoundedSandbox(autoescape=False, trim_blocks=True, lstrip_blocks=True)
_HTML_ENV = sandbox.BoundedSandbox(autoescape=True, trim_blocks=True, lstrip_blocks=True)

TITLE = "[{{ kind | upper }}] {{ rule.name }}{% if group %} · {{ labels.values() | join(' / ') }}{% endif %}"

# Markdown (DingTalk; Slack and the e-mail text part convert it). A line that ends in a tag keeps its
# newline with ``+%}``: trim_blocks would otherwise join it to the next line ("- **count**: 5- **window**").
MARKDOWN = """\
### {{ title }}
- **count**: {{ count }}{% if previous is not none %} (previous window: {{ previous }}){% endif +%}
{% if value is not none %}
- **value**: {{ value }}
{% endif %}
- **window**: {{ when(start) }} → {{ when(end) }}
{% for k, v in labels.items() %}
- **{{ 'error' if k == 'error.grouping_key' else k }}**: {{ v }}
{% endfor %}
{% if url %}
- [open in grokpipe]({{ url }})
{% endif %}
{% if samples %}

{% for doc in samples %}
> {{ doc.get('message', '') | truncate(300) | replace('\\n', '\\n> ') }}

{% endfor %}
{% endif %}"""

HTML = """\
<html><body style="font-family:sans-serif">
<h2>{% if url %}<a href="{{ url }}">{{ title }}</a>{% else %}{{ title }}{% endif %}</h2>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th align="left">rule</th><td>{{ rule.name }}</td></tr>
<tr><th align="left">status</th><td>{{ kind }}</td></tr>
<tr><th align="left">window</th><td>{{ when(start) }} → {{ when(end) }}</td></tr>
<tr><th align="left">count</th><td>{{ count }}</td></tr>
{% for k, v in labels.items() %}<tr><th align="left">{{ 'error' if k == 'error.grouping_key' else k }}</th>\
<td>{{ v }}</td></tr>
{% endfor %}
</table>
{% if samples %}
<h3>First matching events</h3>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>@timestamp</th><th>host</th><th>message</th></tr>
{% for doc in samples %}{% set host = doc.get('host') %}<tr><td>{{ when(doc.get('@timestamp', '')) }}</td>\
<td>{{ host.get('name', '') if host is mapping else (host or '') }}</td>\
<td>{{ doc.get('message', '') | truncate(500) }}</td></tr>
{% endfor %}
</table>
{% endif %}
</body></html>"""


def render(template: str, context: dict[str, Any], *, html: bool = False) -> str:
    """Raises :class:`grokpipe.api.sandbox.TemplateFailed` (with its reason) for any failure of the template."""
    return sandbox.render(_HTML_ENV if html else _ENV, template, context)


ERROR_TITLE = "[{{ kind | upper }} ERROR] {{ group.title | truncate(120) }}"

ERROR_MARKDOWN = """\
### {{ title }}
- **culprit**: {{ group.culprit or 'unknown' }}
- **level**: {{ group.level or 'unknown' }}
- **events**: {{ group.total }} since {{ when(group.first_seen) }}
- **last seen**: {{ when(group.last_seen) }}
- **owner**: {{ owner(group.owner) }}
{% if url %}
- [open in grokpipe]({{ url }})
{% endif %}
{% if samples %}

{% for doc in samples %}
> {{ doc.get('message', '') | truncate(300) | replace('\\n', '\\n> ') }}

{% endfor %}
{% endif %}"""

ERROR_HTML = """\
<html><body style="font-family:sans-serif">
<h2>{% if url %}<a href="{{ url }}">{{ title }}</a>{% else %}{{ title }}{% endif %}</h2>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th align="left">title</th><td>{{ group.title }}</td></tr>
<tr><th align="left">culprit</th><td>{{ group.culprit or 'unknown' }}</td></tr>
<tr><th align="left">level</th><td>{{ group.level or 'unknown' }}</td></tr>
<tr><th align="left">events</th><td>{{ group.total }}</td></tr>
<tr><th align="left">first seen</th><td>{{ when(group.first_seen) }}</td></tr>
<tr><th align="left">last seen</th><td>{{ when(group.last_seen) }}</td></tr>
<tr><th align="left">owner</th><td>{{ owner(group.owner) }}</td></tr>
</table>
</body></html>"""

DIGEST_TITLE = (
    "{{ digest.name }}: {{ totals.new }} new, {{ totals.regressed }} regressed, "
    "{{ totals.groups }} errors, {{ totals.events }} events"
)

DIGEST_MARKDOWN = """\
### {{ title }}
{{ when(period.start) }} → {{ when(period.end) }}

{% for row in rows %}
{% set row_url = link('errors/' ~ row.id) %}
{{ loop.index }}. {% if row.flag != 'ongoing' %}**[{{ row.flag | upper }}]** {% endif %}\
{% if row_url %}[{{ row.title | truncate(160) }}]({{ row_url }}){% else %}{{ row.title | truncate(160) }}{% endif +%}
   - {{ row.culprit or 'unknown' }} · {{ row.count }} in the period, {{ row.total }} in all\
 · first seen {{ when(row.first_seen) }}{% if row.owner %} · owner {{ owner(row.owner) }}{% endif +%}

{% else %}
No errors in this period.
{% endfor %}
{% if monitors %}

#### Cron monitors failing
{% for m in monitors %}
- **{{ m.status | upper }}** {{ m.name }} · last check-in {{ when(m.last_checkin) if m.last_checkin else 'never' }}
{% endfor %}
{% endif %}
{% if patterns %}

#### New patterns
{% for p in patterns %}
- `{{ p.template | truncate(160) }}` · {{ p.count }} in the period · first seen {{ when(p.first_seen) }}
{% endfor %}
{% endif %}"""

DIGEST_HTML = """\
<html><body style="font-family:sans-serif">
<h2>{{ title }}</h2>
<p>{{ when(period.start) }} → {{ when(period.end) }}</p>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>status</th><th>error</th><th>culprit</th><th>count</th><th>total</th><th>first seen</th><th>owner</th></tr>
{% for row in rows %}{% set row_url = link('errors/' ~ row.id) %}<tr class="{{ row.flag }}"\
{% if row.flag == 'new' %} style="background:#fde2e2"\
{% elif row.flag == 'regressed' %} style="background:#fff3cd"{% endif %}>\
<td>{{ row.flag }}</td><td>{% if row_url %}<a href="{{ row_url }}">{{ row.title | truncate(300) }}</a>\
{% else %}{{ row.title | truncate(300) }}{% endif %}</td><td>{{ row.culprit or '' }}</td>\
<td align="right">{{ row.count }}</td><td align="right">{{ row.total }}</td><td>{{ when(row.first_seen) }}</td>\
<td>{% if row.owner %}{{ owner(row.owner) }}{% endif %}</td></tr>
{% endfor %}
</table>
{% if monitors %}
<h3>Cron monitors failing</h3>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>status</th><th>monitor</th><th>last check-in</th></tr>
{% for m in monitors %}<tr class="monitor" style="background:#fde2e2"><td>{{ m.status }}</td><td>{{ m.name }}</td>\
<td>{{ when(m.last_checkin) if m.last_checkin else 'never' }}</td></tr>
{% endfor %}
</table>
{% endif %}
{% if patterns %}
<h3>New patterns</h3>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>pattern</th><th>count</th><th>first seen</th></tr>
{% for p in patterns %}<tr><td><code>{{ p.template | truncate(300) }}</code></td>\
<td align="right">{{ p.count }}</td><td>{{ when(p.first_seen) }}</td></tr>
{% endfor %}
</table>
{% endif %}
</body></html>"""


def no_page(rule: Mapping[str, Any], group: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    return None


@dataclass(frozen=True)
class Templates:
    """A layout: its default title, markdown and HTML templates, and the console page its messages link to."""

    title: str
    markdown: str
    html: str
    page: Page = no_page


def alert_page(rule: Mapping[str, Any], group: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    """A rule's alert links to the error group it is about, else to the rule."""
    key = group.get("error.grouping_key")
    if key:
        return f"errors/{key}"
    return f"rules/{rule['id']}" if rule.get("id") else None


def error_page(rule: Mapping[str, Any], group: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    return f"errors/{group['id']}" if group.get("id") else None


LAYOUTS: dict[str, Templates] = {
    "alert": Templates(TITLE, MARKDOWN, HTML, alert_page),
    "error": Templates(ERROR_TITLE, ERROR_MARKDOWN, ERROR_HTML, error_page),
    "digest": Templates(DIGEST_TITLE, DIGEST_MARKDOWN, DIGEST_HTML, lambda rule, group, facts: "errors"),
}


def register(layout: Layout, templates: Templates) -> Layout:
    """Add a feature's layout (once, from the module that defines it); returns its name for the messages."""
    LAYOUTS[layout] = templates
    return layout
