"""The project's own files agree with each other: pins, the test command, the layout."""

from __future__ import annotations

import re
import tomllib

from conftest import ROOT


def pins_of_pyproject() -> dict[str, str]:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = meta["dependencies"] + sum(meta["optional-dependencies"].values(), [])
    pins = {}
    for req in reqs:
        name, version = req.split("==")
        pins[name.lower()] = version
    return pins


def pins_of_environment() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "environment.yml").read_text().splitlines():
        m = re.fullmatch(r"\s+- ([A-Za-z0-9_.-]+)=([0-9][^=\s]*)", line)
        if m and m.group(1) != "python":
            pins[m.group(1).lower()] = m.group(2)
    return pins


def test_every_dependency_is_pinned_exactly():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    for req in meta["dependencies"] + sum(meta["optional-dependencies"].values(), []):
        assert re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][0-9A-Za-z.]*", req), req


def test_environment_yml_has_the_same_pins_as_pyproject():
    assert pins_of_environment() == pins_of_pyproject()


def test_required_packages_are_listed():
    assert {"jupyterlab", "pandas", "bibtexparser", "nbval", "papermill", "nbconvert"} <= set(pins_of_pyproject())
    assert pins_of_pyproject()["bibtexparser"].startswith("2.")


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci/run").read_text()
    assert "make test" in readme and "make report" in readme
    commands = [line.strip() for line in ci.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "make test"


def test_notebooks_have_one_parameters_cell_with_literals_only():
    import nbformat
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert len(tagged) == 1, path.name
        for line in tagged[0].source.splitlines():
            assert re.fullmatch(r'\w+ = (".*"|\d+|True|False|None)', line), (path.name, line)
        assert nb.cells[0].cell_type == "markdown" and "**Reads**" in nb.cells[0].source, path.name
        defines = [c for c in nb.cells if c.cell_type == "code" and re.search(r"^def |^class ", c.source, re.M)]
        assert not defines, f"{path.name} defines functions; they belong in src/litreview"


def test_stored_notebook_outputs_hold_no_warnings_or_machine_paths():
    import json
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text())
        for cell in nb["cells"]:
            for out in cell.get("outputs", []):
                assert out.get("name") != "stderr", f"{path.name}: stored stderr output"
                text = json.dumps(out.get("data", {})) + "".join(out.get("text", []))
                assert not re.search(r"/(work|root|home|tmp)/", text), f"{path.name}: a machine path in an output"
