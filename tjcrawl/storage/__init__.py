"""The SQLite archive: schema migrations, the writer, and Chinese full-text search."""
