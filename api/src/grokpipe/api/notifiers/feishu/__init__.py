"""Feishu (Lark) custom bot: signed card messages, owners @-mentioned by open_id."""

from grokpipe.api.notifiers.base import Channel, Handle
from grokpipe.api.notifiers.feishu.config import FeishuNotifier
from grokpipe.api.notifiers.feishu.notifier import OPEN_ID, Feishu

CHANNEL = Channel("feishu", FeishuNotifier, Feishu, (Handle(OPEN_ID, "Feishu open_id (ou_...) or user_id"),))
