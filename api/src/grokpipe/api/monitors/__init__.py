"""Cron monitors from Sentry check-ins (``sentry.checkin`` events): what a monitor expects (``schedule``)
and how its check-ins and the clock move its status and incidents (``state``). Pure so far: the store,
routes, scheduler and notifications that use them are still to come (docs/sentry.md)."""
