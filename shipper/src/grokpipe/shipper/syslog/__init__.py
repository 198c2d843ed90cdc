"""Syslog input: UDP, TCP, TLS and unix-socket listeners, RFC 3164/5424 parsing, on-disk spool."""
