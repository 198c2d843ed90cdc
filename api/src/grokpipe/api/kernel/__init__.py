"""The api's kernel: what several features share (clock, durations, base schemas, schedules, the alert state and
its leases, the job scheduler, the scheduled send of digests and reports, the store and CRUD helper of saved
definitions, the settings several of them read) and what every feature's routes use (API-key roles, the
``Provider`` of their services, the error responses each route declares).

The kernel sits below the features: it imports no feature (rules, groups, checks, monitors, patterns, search,
notifiers) and no wiring module (services, app, routes, console), only the api's leaf modules (errors, params,
metrics...); features import it, never each other's shared types. The layers contract in the root pyproject.toml
(``lint-imports`` in make lint) and tests/unit/api/test_layers.py keep it so.
"""
