"""Store: the user's state. Where it lives (:mod:`~matcue.store.paths`: the folders, from the
``MATCUE_*`` variables or the platform's user folders), the saved defaults
(:mod:`~matcue.store.config`, TOML) and the session history (:mod:`~matcue.store.history`,
SQLite).

Nothing is imported here: ``from matcue.store import history`` loads the history alone.
"""
