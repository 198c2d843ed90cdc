"""Generic webhook: the message's JSON, POSTed with custom (secret) headers."""

from grokpipe.api.notifiers.base import Channel
from grokpipe.api.notifiers.webhook.config import WebhookNotifier
from grokpipe.api.notifiers.webhook.notifier import Webhook

CHANNEL = Channel("webhook", WebhookNotifier, Webhook)
