"""One module per page family: login, errors, rules, alerts, checks, monitors."""
