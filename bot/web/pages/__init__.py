"""The workspace's pages: every module here with `routes(web)` (and `NAV`) is served (docs/web.md)."""
