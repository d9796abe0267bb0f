"""axe-core in the browser tests: a page passes when axe finds no serious or critical violation on it."""

BLOCKING_IMPACTS = {"serious", "critical"}


def describe(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        lines.extend(f"    {', '.join(map(str, node['target']))}: {node['html'][:200]}" for node in violation["nodes"])
    return "\n".join(lines)


def assert_no_blocking_violations(axe, page, where=None):
    results = axe.run(page)
    blocking = [violation for violation in results.response["violations"] if violation["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe found serious or critical violations on {where or page.url}:\n{describe(blocking)}"
