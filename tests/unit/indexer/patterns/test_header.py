"""Header learned per source: the message starts after the columns that behave like a header."""

from __future__ import annotations

import pytest

from grokpipe.indexer.patterns.header import HeaderModel, level_of

SOURCES = {
    "log4j": (
        [
            "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_3 terminating",
            "081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated",
            "081109 214043 2561 WARN dfs.DataNode$DataXceiver: 10.251.30.85:50010:Got exception while serving",
        ],
        ["PacketResponder 1 for block blk_3 terminating", "BLOCK* NameSystem.addStoredBlock: blockMap updated"],
        "info",
    ),
    "separator": (
        [
            "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:2181:FLE@774] - Notification time out",
            "2015-07-29 19:04:29,071 - WARN  [SendWorker:1889:QCM$SendWorker@688] - Send worker leaving thread",
        ],
        ["Notification time out", "Send worker leaving thread"],
        "info",
    ),
    "program": (
        [
            "[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy p.cuhk.edu.hk:5070 HTTPS",
            "[10.30 21:08:03] spoolsv.exe *64 - 127.0.0.1:135 error : Could not connect through proxy",
            "[10.30 21:08:23] YodaoDict.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy x:5070 HTTPS",
        ],
        [
            "proxy.cse.cuhk.edu.hk:5070 open through proxy p.cuhk.edu.hk:5070 HTTPS",
            "127.0.0.1:135 error : Could not connect through proxy",
        ],
        None,
    ),
    "one-letter level": (
        [
            "03-17 16:14:02.045  2227  2227 V PhoneStatusBar: setLightsOn(true)",
            "03-17 16:14:03.671  1702  2639 W ActivityManager: getRunningAppProcesses: caller 10091",
        ],
        ["setLightsOn(true)", "getRunningAppProcesses: caller 10091"],
        "debug",
    ),
    "digits only": (
        [
            "2568643 node-70 action start 1074119817 1 clusterAddMember  (command 1902)",
            "2566692 1897 boot_cmd success 1073991950 1 Command has completed successfully",
            "2557 node-125 node status 1073991000 1 running",
        ],
        ["clusterAddMember  (command 1902)", "Command has completed successfully"],
        None,
    ),
    "pipes": (
        [
            "20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579",
            "20171223-22:15:29:633|Step_StandReportReceiver|30002312|onReceive action: android.intent.action.SCREEN_ON",
        ],
        ["onStandStepChanged 3579", "onReceive action: android.intent.action.SCREEN_ON"],
        None,
    ),
    "none": (["hello world", "another line without a header"], ["hello world", "another line without a header"], None),
}


@pytest.mark.parametrize("name", list(SOURCES))
def test_message_after_the_learned_header(name: str) -> None:
    lines, messages, level = SOURCES[name]
    model = HeaderModel.learn(lines)
    cuts = [model.split(line) for line in lines]
    assert [c.message for c in cuts[: len(messages)]] == messages
    assert cuts[0].level == level


@pytest.mark.parametrize(
    ("column", "level"),
    [("INFO", "info"), ("[notice]", "notice"), ("E", "error"), ("W", "warning"), ("<3>", "error"), ("Info", "info"),
     ("combo", None), ("X", None)],
)  # fmt: skip
def test_level_of(column: str, level: str | None) -> None:
    assert level_of(column) == level


def test_a_line_that_does_not_start_like_the_others_keeps_its_text() -> None:
    lines = [f"2015-10-18 18:01:4{i},978 INFO [main] org.x.Y: started {i}" for i in range(9)]
    model = HeaderModel.learn([*lines, "\tat org.x.Y.run(Y.java:12)"])
    assert model.split("\tat org.x.Y.run(Y.java:12)").message == "\tat org.x.Y.run(Y.java:12)"
    assert model.split(lines[0]).message == "started 0"
