def publish(page):
    """Publish the page as an editor would, and read it back (its live revision is set in the database)."""
    page.save_revision().publish()
    page.refresh_from_db()
    return page
