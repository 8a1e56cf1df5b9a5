"""SQLite through aiosqlite: the schema, its migrations and every query. The only package with SQL
text.
"""
