"""Build set-up of the book (a local Sphinx extension, ``sphinx.local_extensions``).

* The API reference (sphinx-autoapi) documents the package the book imports: when
  ``autoapi_dirs`` (``../simbelief_edu``) is not beside the book, as in a copy of the book
  built by the tests, it points to that package's folder instead.
* The docstrings are plain text with ``literals`` (and Google-style sections, which napoleon
  reads), not reStructuredText: before the API pages parse them, ``|x|`` (an absolute value,
  ``π(a|x)``) is escaped, where reST would read a substitution, and an aligned
  ``key:  value`` table whose values continue on indented lines becomes a field list. A
  method with no docstring of its own shows none (sphinx-autoapi would copy the parent's:
  gymnasium's long ``step`` and ``reset`` docstrings, in another format).

The other fixes make the built book work offline, with no error in the browser console:

* MathJax comes from ``_static/mathjax`` (``mathjax_path`` in ``_config.yml``), a copy that
  ``make assets`` (``tools/fetch_mathjax.py``) takes from the npm registry: a build without it
  would show raw TeX, so it is a warning (an error under ``-W``). Jupyter Book adds every
  ``.js`` file under ``_static`` to every page; MathJax's components are taken out of that
  list (its loader fetches the few it needs).
* sphinx-thebe adds its configuration script, which declares ``const THEBE_JS_URL``, twice on
  Sphinx 7; the second copy throws "Identifier 'THEBE_JS_URL' has already been declared". Each
  page keeps one copy of every identical script.
"""

import importlib
import importlib.util
import re
from pathlib import Path

from sphinx.util import logging

logger = logging.getLogger(__name__)


def _find_package(app, config) -> None:
    dirs = [Path(app.confdir, d) for d in config.autoapi_dirs]
    if dirs and not all(d.is_dir() for d in dirs):
        spec = importlib.util.find_spec("simbelief_edu")
        if spec is not None and spec.origin is not None:
            config.autoapi_dirs = [str(Path(spec.origin).parent)]


_KEY = re.compile(r"^([A-Za-z][\w /()-]*):\s+(\S.*)$")


def _escape_bars(line: str) -> str:
    parts = line.split("``")  # odd parts are ``literals``
    return "``".join(p if i % 2 else p.replace("|", "\\|") for i, p in enumerate(parts))


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _field_table(block: list[str]) -> list[str] | None:
    """``key:  value`` lines with indented continuation lines as a reST field list, else None."""
    base = _indent(block[0])
    if len(block) < 2 or not any(_indent(line) > base for line in block[1:]):
        return None
    fields: list[str] = []
    for line in block:
        if _indent(line) == base:
            match = _KEY.match(line.strip())
            if match is None:
                return None
            fields.append(f"{' ' * base}:{match[1]}: {match[2]}")
        elif _indent(line) > base:
            fields.append(f"{' ' * (base + 3)}{line.strip()}")
        else:
            return None
    return fields


def _has_own_docstring(name: str) -> bool:
    """False only for a method that can be imported and has no docstring of its own."""
    module_name, _, rest = name.rpartition(".")
    owner_path = []
    while module_name:
        try:
            owner = importlib.import_module(module_name)
            break
        except ImportError:
            module_name, _, part = module_name.rpartition(".")
            owner_path.insert(0, part)
    else:
        return True
    try:
        for part in owner_path:
            owner = getattr(owner, part)
        member = vars(owner)[rest]
    except (AttributeError, KeyError, TypeError):
        return True
    return getattr(member, "__doc__", None) is not None


def _drop_inherited_docstring(app, what, name, obj, skip, options) -> None:
    if what == "method" and obj.docstring and not _has_own_docstring(name):
        obj.docstring = ""


def _plain_docstring(app, what, name, obj, options, lines: list[str]) -> None:
    out: list[str] = []
    literal = None  # indentation of the line that opened a literal block (``::``)
    i = 0
    while i < len(lines):
        line = lines[i]
        if literal is not None and (not line.strip() or _indent(line) > literal):
            out.append(line)  # inside a literal block: as written
            i += 1
            continue
        literal = None
        if not line.strip():
            out.append(line)
            i += 1
            continue
        j = i  # the paragraph lines[i:j], up to a blank line or a line opening a literal block
        while j < len(lines) and lines[j].strip():
            j += 1
            if lines[j - 1].rstrip().endswith("::"):
                literal = _indent(lines[j - 1])
                break
        block = lines[i:j]
        out.extend(_escape_bars(b) for b in (_field_table(block) or block))
        i = j
    lines[:] = out


def _mathjax_not_on_every_page(app, config) -> None:
    # Jupyter Book adds every .js file under _static to every page: not MathJax's components,
    # which its loader fetches on demand
    config.html_js_files = [
        js for js in config.html_js_files if not str(js).startswith(("mathjax/", "mathjax\\"))
    ]


def _check_mathjax(app) -> None:
    path = app.config.mathjax_path
    if app.builder.format != "html" or "://" in path or path.startswith("/"):
        return
    static = [Path(app.confdir, p) for p in app.config.html_static_path]
    if not any((folder / path).is_file() for folder in static):
        logger.warning(
            "local MathJax %s is missing from _static: run `make assets` "
            "(python tools/fetch_mathjax.py)",
            path,
        )


def _dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    seen, kept = set(), []
    for script in context.get("script_files", []):
        name = getattr(script, "filename", script) or ""  # None and "" both mean inline
        key = (str(name), tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.setup_extension("sphinx.ext.autodoc")  # the docstring event, which autoapi emits
    app.setup_extension("autoapi.extension")
    app.connect("autodoc-process-docstring", _plain_docstring, priority=600)  # after napoleon
    app.connect("autoapi-skip-member", _drop_inherited_docstring)
    app.connect("config-inited", _find_package)
    app.connect("config-inited", _mathjax_not_on_every_page)
    app.connect("builder-inited", _check_mathjax)
    app.connect("html-page-context", _dedupe_scripts)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
