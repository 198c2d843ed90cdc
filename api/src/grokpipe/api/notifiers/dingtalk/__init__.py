"""DingTalk custom robot (群机器人): signed URL, markdown, owners @-mentioned by mobile number."""

from grokpipe.api.notifiers.base import Channel, Handle
from grokpipe.api.notifiers.dingtalk.config import DingTalkNotifier
from grokpipe.api.notifiers.dingtalk.notifier import MOBILE, DingTalk

CHANNEL = Channel(
    "dingtalk", DingTalkNotifier, DingTalk, (Handle(MOBILE, "the mobile number DingTalk @-mentions them by"),)
)
