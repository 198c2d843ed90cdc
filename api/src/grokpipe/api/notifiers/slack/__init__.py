"""Slack incoming webhook: mrkdwn blocks, owners @-mentioned by member id."""

from grokpipe.api.notifiers.base import Channel, Handle
from grokpipe.api.notifiers.slack.config import SlackNotifier
from grokpipe.api.notifiers.slack.notifier import MEMBER, Slack

CHANNEL = Channel("slack", SlackNotifier, Slack, (Handle(MEMBER, "Slack member id, e.g. U123ABC"),))
