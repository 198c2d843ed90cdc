"""Alert-rule API: saved queries over ``logs-*`` evaluated on a schedule, throttled, and notified."""
