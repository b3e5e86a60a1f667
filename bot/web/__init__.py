"""The web workspace: where agents work and admins tune, in a browser (issue 13).

`app.py` builds the ASGI app from the page modules in `pages/`; `auth.py` signs people in
and guards every page and action (roles, CSRF); `i18n.py` gives each person the interface in
their language from the Babel catalogues in `locale/`; `live.py` pushes changes to open pages
(server-sent events). How a page module plugs in: docs/web.md.
"""
