"""Running the site: a manifest taken at backup time and a check of a restored database and media (docs/backups.md)."""
