"""The api's kernel: what several features share (clock, durations, base schemas, schedules).

The kernel is the bottom layer: it imports no feature (rules, groups, checks, monitors, patterns, search,
notifiers, console) and no wiring module (services, app, routes); features import it, never each other's
shared types. The layers contract in the root pyproject.toml and tests/unit/api/test_layers.py keep it so.
"""
