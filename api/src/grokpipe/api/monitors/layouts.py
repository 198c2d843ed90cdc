"""Default message templates of the ``monitor`` layout (a cron monitor's incident opened / resolved).

Registered here in :data:`api.templates.LAYOUTS` (:data:`MONITOR` is the name the messages use); rendered in the
same sandbox (HTML autoescaped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from grokpipe.api import templates

TITLE = "[{{ kind | upper }}] monitor {{ monitor.slug }}{% if kind == 'missed' %}: no check-in{% endif %}\
{% if kind == 'timeout' %}: still running{% endif %}{% if kind == 'error' %}: the job failed{% endif %}"

MARKDOWN = """\
### {{ title }}
- **status**: {{ monitor.status }}
{% if monitor.last_checkin %}
- **last check-in**: {{ when(monitor.last_checkin) }}
{% else %}
- **last check-in**: never
{% endif %}
{% if monitor.next_expected %}
- **next expected**: {{ when(monitor.next_expected) }}
{% endif %}
{% if since %}
- **failing since**: {{ when(since) }}
{% endif %}
{% if url %}
- [open in grokpipe]({{ url }})
{% endif %}
"""

HTML = """\
<html><body style="font-family:sans-serif">
<h2>{% if url %}<a href="{{ url }}">{{ title }}</a>{% else %}{{ title }}{% endif %}</h2>
<table cellpadding="6" style="border-collapse:collapse" border="1">
<tr><th>status</th><td>{{ monitor.status }}</td></tr>
<tr><th>last check-in</th><td>{{ when(monitor.last_checkin) if monitor.last_checkin else 'never' }}</td></tr>
{% if monitor.next_expected %}<tr><th>next expected</th><td>{{ when(monitor.next_expected) }}</td></tr>{% endif %}
{% if since %}<tr><th>failing since</th><td>{{ when(since) }}</td></tr>{% endif %}
</table>
</body></html>"""


def monitor_page(rule: Mapping[str, Any], group: Mapping[str, Any], facts: Mapping[str, Any]) -> str | None:
    return "monitors"


MONITOR = templates.register("monitor", templates.Templates(TITLE, MARKDOWN, HTML, monitor_page))
