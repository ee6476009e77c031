"""What a partial rendered through ``fragment()`` reads from the page it is on.

A list entry (``_note_item.html``: the ``note_item`` macro of ``_macros.html``) appears on the
home page, every category, tag, venue and year page of its note: rendering it once per note
instead of once per page needs to know that it reads nothing that differs between those pages.
The theme's reads ``page.lang`` only; a site's own ``_macros.html`` may read anything (the page
kind, the pagination, the term). So the partial's source is read, once per build, with the
macros it calls (in the same file, imported with ``from … import``, or included), and the
fragment is keyed by what they read: the value of each ``page.X`` read, or the page itself
when it reads the page whole (``page`` passed to a macro), a variable only some pages have
(``term``, ``pagination``) or something this reading cannot follow.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2
from jinja2 import meta, nodes


@dataclass(frozen=True)
class Reads:
    names: frozenset[str]
    """Variables it takes from the context (Jinja's own analysis: macro arguments and names it
    sets are not among them)."""
    page_fields: frozenset[str] | None
    """The ``page.X`` it reads; None when it uses ``page`` otherwise."""


def template_reads(env: jinja2.Environment, name: str) -> Reads | None:
    """What the template ``name`` and the macros it calls read; None when it cannot tell."""
    try:
        return _Reader(env).template(name, None)
    except (jinja2.TemplateError, _Unknown):
        return None


class _Unknown(Exception):
    """Something the reading does not follow (a computed template name, a dynamic import)."""


def _union(parts: list[Reads]) -> Reads:
    fields = [p.page_fields for p in parts]
    return Reads(frozenset().union(*[p.names for p in parts]),
                 None if None in fields else frozenset().union(*fields))


class _Reader:
    def __init__(self, env: jinja2.Environment):
        self.env = env
        self.seen: dict[tuple, Reads] = {}

    def template(self, name: str, macros: tuple[str, ...] | None) -> Reads:
        """The reads of the whole template (``macros`` None) or of those macros in it."""
        key = (name, macros)
        if key in self.seen:
            return self.seen[key]
        self.seen[key] = Reads(frozenset(), frozenset())  # a recursive call adds nothing new
        source, filename, _ = self.env.loader.get_source(self.env, name)
        tree = self.env.parse(source, name, filename)
        if tree.find(nodes.Extends) is not None:
            raise _Unknown
        defined = {m.name: m for m in tree.find_all(nodes.Macro)}
        imported = _imports(tree)
        body = tree.body if macros is None else self._closure(defined, macros)
        synthetic = nodes.Template(body if macros is None else
                                   [*_import_nodes(tree), *body])
        synthetic.set_environment(self.env)
        names = meta.find_undeclared_variables(synthetic) - set(imported) - set(defined)
        parts = [Reads(frozenset(names), _page_fields(body))]
        parts += self._followed(body, imported)
        found = self.seen[key] = _union(parts)
        return found

    def _closure(self, defined: dict[str, nodes.Macro], roots: tuple[str, ...]
                 ) -> list[nodes.Node]:
        """The macros ``roots`` and every macro of the same file they name."""
        todo, kept = [r for r in roots if r in defined], {}
        if len(todo) != len(roots):
            raise _Unknown
        while todo:
            name = todo.pop()
            if name in kept:
                continue
            kept[name] = defined[name]
            todo += [n.name for n in defined[name].find_all(nodes.Name)
                     if n.name in defined and n.name not in kept]
        return list(kept.values())

    def _followed(self, body: list[nodes.Node], imported: dict[str, tuple]) -> list[Reads]:
        """The reads of what ``body`` includes and of the imported macros it names."""
        parts, wrapper = [], nodes.Template(body)
        for include in wrapper.find_all(nodes.Include):
            parts.append(self.template(_constant(include.template), None))
        for name in {n.name for n in wrapper.find_all(nodes.Name)} & set(imported):
            template, macro = imported[name]
            if macro is None:  # {% import "x.html" as m %}: which of its macros is not followed
                raise _Unknown
            parts.append(self.template(template, (macro,)))
        return parts


def _constant(node: nodes.Expr) -> str:
    if isinstance(node, nodes.Const) and isinstance(node.value, str):
        return node.value
    raise _Unknown


def _import_nodes(tree: nodes.Template) -> list[nodes.Node]:
    return [*tree.find_all(nodes.FromImport), *tree.find_all(nodes.Import)]


def _imports(tree: nodes.Template) -> dict[str, tuple[str, str | None]]:
    """Local name -> (template, macro name), or (template, None) for a whole module."""
    found: dict[str, tuple[str, str | None]] = {}
    for node in tree.find_all(nodes.FromImport):
        template = _constant(node.template)
        for item in node.names:
            name, alias = item if isinstance(item, tuple) else (item, item)
            found[alias] = (template, name)
    for node in tree.find_all(nodes.Import):
        found[node.target] = (_constant(node.template), None)
    return found


def _page_fields(body: list[nodes.Node]) -> frozenset[str] | None:
    """The attributes read of ``page`` (``page.lang``, ``page["kind"]``), or None when the
    name is used in any other way."""
    wrapper = nodes.Template(body)
    fields, reads = set(), 0
    for node in wrapper.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node.node, nodes.Name) and node.node.name == "page":
            field = node.attr if isinstance(node, nodes.Getattr) else (
                node.arg.value if isinstance(node.arg, nodes.Const) else None)
            if not isinstance(field, str):
                return None
            fields.add(field)
            reads += 1
    uses = sum(1 for node in wrapper.find_all(nodes.Name) if node.name == "page")
    return frozenset(fields) if uses == reads else None
