# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
"""pytest's setup for the end-to-end tests.

- Tests are named e2e/MODULE/NAME (e2e/run/exec_storm_every_exec_seen_or_counted), like the
  unit tests' unit/NAME; --match SUBSTRING runs those whose name contains it (tests/run's
  FILTER), in the order of that name: module by module, test by test.
- The run ends with one line "N passed, N failed, N skipped", counted per test (a test whose
  teardown fails, or a module that does not import, counts as failed): tests/run adds it to
  the unit tests' line and CI reads the sum.
"""
import pytest

# cwtest's own assert statements (assert_copying_stopped, ...) say what they compared
pytest.register_assert_rewrite("cwtest")


def pytest_addoption(parser):
    parser.addoption("--match", default="", metavar="SUBSTRING",
                     help="run only the tests whose name e2e/MODULE/NAME contains SUBSTRING")


def e2e_name(item):
    return "e2e/%s/%s" % (item.path.stem[len("test_"):], item.name[len("test_"):])


def pytest_collection_modifyitems(config, items):
    match = config.getoption("match")
    keep = [i for i in items if match in e2e_name(i)]
    dropped = [i for i in items if match not in e2e_name(i)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
    items[:] = sorted(keep, key=lambda i: (i.path.name, i.name))


class Tally:
    """Each test's outcome, from the reports of its setup, call and teardown."""

    def __init__(self):
        self.outcome = {}
        self.broken_modules = 0

    def pytest_collectreport(self, report):
        if report.failed:
            self.broken_modules += 1

    def pytest_runtest_logreport(self, report):
        was = self.outcome.get(report.nodeid)
        if report.failed:
            self.outcome[report.nodeid] = "failed"
        elif report.skipped and was != "failed":
            self.outcome[report.nodeid] = "skipped"
        elif report.when == "call" and was is None:
            self.outcome[report.nodeid] = "passed"

    def count(self, outcome):
        return sum(1 for o in self.outcome.values() if o == outcome)

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_sessionfinish(self, session):
        yield  # after pytest's own summary: the closing line comes last
        tr = session.config.pluginmanager.get_plugin("terminalreporter")
        write = tr.write_line if tr else print
        if not self.outcome and not self.broken_modules:
            match = session.config.getoption("match")
            write("no end-to-end test ran" + (" (none is named *%s*)" % match if match else ""))
        write("%d passed, %d failed, %d skipped" % (
            self.count("passed"), self.count("failed") + self.broken_modules,
            self.count("skipped")))


def pytest_configure(config):
    config.pluginmanager.register(Tally(), "credwatch-tally")
