"""E-mail over SMTP: an HTML part and a plain-text part; owners named with their address (no handle)."""

from grokpipe.api.notifiers.base import Channel
from grokpipe.api.notifiers.email.config import EmailNotifier
from grokpipe.api.notifiers.email.notifier import Email

CHANNEL = Channel("email", EmailNotifier, Email)
