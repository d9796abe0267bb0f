"""Reading the cohort dashboard's roster as a course lead sees it: each learner's row by column heading."""

from tests.content.helpers import soup


def roster_by_heading(response) -> dict[str, dict[str, str]]:
    """{learner's name: {column heading: cell text}} for the roster page shown, other apps' columns included."""
    table = soup(response).find("section", attrs={"aria-labelledby": "roster-heading"}).find("table")
    headings = [th.get_text(" ", strip=True) for th in table.select("thead th")]
    rows = {}
    for row in table.select("tbody tr"):
        cells = [cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
        rows[cells[0]] = dict(zip(headings, cells, strict=True))
    return rows
