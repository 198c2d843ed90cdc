"""The web console under ``/ui``: error groups, rules, alerts and checks as server-rendered pages.

``app`` builds the mounted sub-application; ``session`` signs the login cookie and CSRF tokens;
``access`` turns the cookie into a viewer (read) or an actor (admin + CSRF); ``params`` reads a list
page's query string (filters, window, offset); ``routes/`` has one module per page family;
``histogram`` computes the inline SVG bars.
"""
