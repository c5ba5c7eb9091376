#!/usr/bin/env python3
"""Fail when the docs no longer tell the truth about the repository.

One line per problem, exit 1 when there is any (exit 2 when the checker itself cannot run):

- every mode, source type and delete policy of the connector schema has its page and is listed in the
  authoring guide (docs/connector-authoring.md); each mode page has a connector example of that mode; each
  provider page has the sections Secret, Driver and What is verified; every planned provider is on
  docs/connector-provider-future.md;
- every page under docs/ is in the mkdocs.yml nav, and every nav entry exists;
- every relative link (and its #anchor), and every `connectors/...`, `scripts/...`, `docs/...` (also `compiler/`, `runtime/`,
  `tests/`, `bench/`) path named in a page (in inline code or a shell block) exists;
- every YAML example that declares `kind: Connector` validates with the real linter (an example preceded by
  `<!-- expect: GS105 -->` must instead fail with exactly those codes);
- every command shown (`python scripts/...`, `compiler ...`, `runtime ...`) exists, with the options it uses.

Everything is read from file contents, so touching an unrelated file cannot satisfy it.
"""

from __future__ import annotations

import argparse
import functools
import glob
import re
import shlex
import subprocess
import sys
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # use this checkout's schema, linter and command lines

from compiler.emit.reference import generated_pages, load_schema  # noqa: E402

GENERATED = frozenset(generated_pages())

GUIDE = "docs/connector-authoring.md"
FUTURE = "docs/connector-provider-future.md"
RECONCILIATION = "docs/reconciliation.md"
PATH_PREFIXES = ("connectors", "scripts", "docs", "compiler", "runtime", "tests", "bench")
SHELL_LANGS = {"bash", "sh", "shell", "console", "shell-session"}
TOOLS = ("compiler", "runtime")
PROVIDER_SECTIONS = ("Secret", "Driver", "What is verified")  # the connection format, the driver, live-server truth

_FENCE = re.compile(r"^(?P<indent> {0,3})(?P<fence>```+|~~~+)\s*(?P<info>[^\n`]*)$")
_LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_REF_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*(?P<target>\S+)", re.MULTILINE)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(?P<body>.+?)(?<!`)\1(?!`)")
_PATH = re.compile(r"(?<![\w/.:$-])(?P<path>(?:" + "|".join(PATH_PREFIXES) + r")/[\w./*-]*)")
_HEADING = re.compile(r"^#{1,6}[ \t]+(?P<title>.*?)(?:[ \t]*\{[ \t]*#(?P<id>[\w-]+)[^}]*\})?[ \t]*#*[ \t]*$", re.M)
_EXPECT = re.compile(r"<!--\s*expect:\s*(?P<codes>[A-Z0-9, ]+?)\s*-->")


@dataclass(frozen=True, slots=True)
class Block:
    """A fenced code block: its info string, first content line (1-based) and text."""

    lang: str
    line: int
    text: str
    expect: tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Page:
    rel: str
    text: str
    prose: str  # the text with fenced blocks blanked out (line numbers kept)
    blocks: tuple[Block, ...]

    @property
    def anchors(self) -> frozenset[str]:
        """Heading ids as MkDocs makes them: an explicit `{ #id }`, else the toc slug (with _1, _2 for repeats)."""
        found: set[str] = set()
        seen: dict[str, int] = {}
        for match in _HEADING.finditer(self.prose):
            if match["id"]:
                found.add(match["id"])
                continue
            slug = _slugify(match["title"])
            count = seen.get(slug, 0)
            seen[slug] = count + 1
            found.add(slug if count == 0 else f"{slug}_{count}")
        return frozenset(found)

    @property
    def plain(self) -> str:
        """The prose with inline code spans blanked too: what Markdown renders as links."""
        return _CODE_SPAN.sub(lambda m: " " * len(m[0]), self.prose)


def parse_page(rel: str, text: str) -> Page:
    lines = text.split("\n")
    prose = list(lines)
    blocks: list[Block] = []
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        fence, info = match["fence"], match["info"].strip()
        start = i + 1
        j = start
        while j < len(lines) and not lines[j].strip().startswith(fence):
            j += 1
        before = lines[i - 1] if i else ""
        expect_match = _EXPECT.search(before)
        expect = tuple(c.strip() for c in expect_match["codes"].split(",")) if expect_match else None
        lang = info.split()[0].lower() if info else ""
        blocks.append(Block(lang, start + 1, "\n".join(lines[start:j]) + "\n", expect))
        for k in range(i, min(j + 1, len(lines))):
            prose[k] = ""
        i = j + 1
    return Page(rel, text, "\n".join(prose), tuple(blocks))


def _has_example(page: Page, mode: str) -> bool:
    """A valid (not expected-to-fail) connector example of `mode` on the page."""
    return any(
        block.lang in {"yaml", "yml"}
        and block.expect is None
        and re.search(r"^kind:\s*Connector\s*$", block.text, re.M)
        and re.search(rf"^\s+mode:\s*{re.escape(mode)}\s*$", block.text, re.M)
        for block in page.blocks
    )


def _slugify(title: str) -> str:
    """Python-Markdown's toc slug: the heading's text, ASCII, lower-cased, non-word characters dropped."""
    text = re.sub(r"<[^>]+>", "", title.replace("`", ""))
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


class Checker:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.problems: list[str] = []
        self.pages: dict[str, Page] = {}
        for path in sorted((root / "docs").rglob("*.md")):
            rel = path.relative_to(root).as_posix()
            self.pages[rel] = parse_page(rel, path.read_text(encoding="utf-8"))
        readme = root / "README.md"
        self.extra: dict[str, Page] = {}
        if readme.is_file():
            self.extra["README.md"] = parse_page("README.md", readme.read_text(encoding="utf-8"))

    def problem(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def all_pages(self) -> Iterator[Page]:
        yield from self.pages.values()
        yield from self.extra.values()

    # --- schema coverage -----------------------------------------------------------------------------------

    def check_schema_coverage(self) -> None:
        schema = load_schema()
        spec = schema["properties"]["spec"]
        defs = schema["$defs"]
        modes: list[str] = list(spec["properties"]["mode"]["enum"])
        types: list[str] = []
        planned: list[str] = []
        for name in ("sqlPullSource", "restPullSource", "restPushSource", "filePullSource"):
            node = defs[name]["properties"]["type"]
            for value in node.get("enum", [node.get("const")]):
                if value and value not in types:
                    types.append(value)
            planned += [p for p in node.get("x-plannedValues", ()) if p not in planned]
        policies: list[str] = list(defs["reconciliation"]["properties"]["deletePolicy"]["enum"])

        guide = self.pages.get(GUIDE)
        if guide is None:
            self.problem(GUIDE, "missing: the authoring guide is the entry page of the docs")
        for mode in modes:
            page = f"docs/connector-mode-{mode.replace('_', '-')}.md"
            self.require_page(page, f"mode {mode!r}")
            if page in self.pages and not _has_example(self.pages[page], mode):
                self.problem(page, f"has no copy-paste example: a yaml block with `kind: Connector` and `mode: {mode}`")
            self.require_in_guide(guide, page.removeprefix("docs/"), f"mode {mode!r} page")
            self.require_in_guide(guide, f"`{mode}`", f"mode {mode!r}")
        for kind in types:
            page = f"docs/connector-provider-{kind}.md"
            self.require_page(page, f"source type {kind!r}")
            if page in self.pages:
                headings = {_slugify(m["title"]) for m in _HEADING.finditer(self.pages[page].prose)}
                for needed in PROVIDER_SECTIONS:
                    if not any(h.startswith(_slugify(needed)) for h in headings):
                        self.problem(page, f"has no section {needed!r} (every provider page has {PROVIDER_SECTIONS})")
            self.require_in_guide(guide, page.removeprefix("docs/"), f"source type {kind!r} page")
        for policy in policies:
            self.require_page(RECONCILIATION, f"delete policy {policy!r}")
            reconciliation = self.pages.get(RECONCILIATION)
            if reconciliation and f"`{policy}`" not in reconciliation.text:
                self.problem(RECONCILIATION, f"delete policy `{policy}` of the schema is not described")
            self.require_in_guide(guide, f"`{policy}`", f"delete policy {policy!r}")
        future = self.pages.get(FUTURE)
        for name in planned:
            if future is None:
                self.require_page(FUTURE, f"planned provider {name!r}")
            elif f"`{name}`" not in future.text:
                self.problem(FUTURE, f"planned provider `{name}` (x-plannedValues in the schema) is not listed")

    def require_page(self, rel: str, what: str) -> None:
        if rel not in self.pages and not any(p.startswith(f"{rel}: missing") for p in self.problems):
            self.problem(rel, f"missing: {what} in the schema has no page")

    def require_in_guide(self, guide: Page | None, needle: str, what: str) -> None:
        if guide is not None and needle not in guide.text:
            self.problem(GUIDE, f"{what} is not listed (expected {needle!r} in the guide)")

    # --- nav -----------------------------------------------------------------------------------------------

    def check_nav(self) -> None:
        config_path = self.root / "mkdocs.yml"
        if not config_path.is_file():
            self.problem("mkdocs.yml", "missing")
            return
        try:
            config = yaml.load(config_path.read_text(encoding="utf-8"), Loader=_TolerantLoader)
        except yaml.YAMLError as error:
            self.problem("mkdocs.yml", f"not valid YAML: {error}".replace("\n", " "))
            return
        nav = list(_nav_files(config.get("nav") or [])) if isinstance(config, dict) else []
        if not nav:
            self.problem("mkdocs.yml", "has no nav listing the pages")
        for entry in nav:
            if f"docs/{entry}" not in self.pages:
                self.problem("mkdocs.yml", f"nav names {entry!r}, but docs/{entry} does not exist")
        listed = {f"docs/{entry}" for entry in nav}
        for rel in self.pages:
            if rel not in listed:
                self.problem(rel, "not in the mkdocs.yml nav")

    # --- links and paths -----------------------------------------------------------------------------------

    def page_at(self, path: Path) -> Page | None:
        try:
            rel = path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return None
        return self.pages.get(rel) or self.extra.get(rel)

    def check_links_and_paths(self) -> None:
        for page in self.all_pages():
            base = (self.root / page.rel).parent
            plain = page.plain
            for regex in (_LINK, _REF_LINK):
                for match in regex.finditer(plain):
                    target = match["target"]
                    if re.match(r"^[a-z][a-z0-9+.-]*:", target):
                        continue  # external URL
                    file_part, _, anchor = target.partition("#")
                    where = f"{page.rel}:{line_of(plain, match.start())}"
                    if file_part and not (base / file_part).exists():
                        self.problem(where, f"dead link {target!r}: no such file")
                        continue
                    linked = page if not file_part else self.page_at(base / file_part)
                    if anchor and linked is not None and anchor not in linked.anchors:
                        self.problem(where, f"dead link {target!r}: {linked.rel} has no heading #{anchor}")
            if page.rel in GENERATED:
                continue  # derived from code (rule examples name hypothetical files); the reference gate owns them
            for offset, text in _path_carriers(page):
                for match in _PATH.finditer(text):
                    path = match["path"].rstrip(".,;:")
                    exists = bool(glob.glob(str(self.root / path))) if "*" in path else (self.root / path).exists()
                    if not exists:
                        where = f"{page.rel}:{offset + text.count(chr(10), 0, match.start())}"
                        self.problem(where, f"names {path!r}, which does not exist in the repository")

    # --- YAML examples -------------------------------------------------------------------------------------

    def check_examples(self) -> None:
        from compiler.validation import validate_text

        for page in self.all_pages():
            for block in page.blocks:
                if block.lang not in {"yaml", "yml"} or not re.search(r"^kind:\s*Connector\s*$", block.text, re.M):
                    continue
                diagnostics = validate_text(block.text, path=page.rel, check_file_name=False)
                errors = [d for d in diagnostics if str(d.severity) == "error"]
                where = f"{page.rel}:{block.line}"
                if block.expect is None:
                    for d in errors:
                        self.problem(
                            f"{page.rel}:{block.line + d.line - 1}:{d.column}",
                            f"example connector does not validate: {d.severity}[{d.code}] {d.message}",
                        )
                    continue
                found = sorted({d.code for d in errors})
                if found != sorted(block.expect):
                    self.problem(
                        where,
                        f"example marked <!-- expect: {', '.join(block.expect)} --> gives "
                        f"{', '.join(found) or 'no errors'}",
                    )

    # --- commands ------------------------------------------------------------------------------------------

    def check_commands(self) -> None:
        for page in self.all_pages():
            for line_no, command in _commands(page):
                for argv in _split_shell(command):
                    problem = argv if isinstance(argv, str) else self.command_problem(argv)
                    if problem:
                        self.problem(f"{page.rel}:{line_no}", f"command {command!r}: {problem}")

    def command_problem(self, argv: list[str]) -> str | None:
        if any(token == "..." or token.endswith("/...") for token in argv):
            return None  # a pattern such as `compiler ...`, not a command line
        while argv and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", argv[0]):
            argv = argv[1:]  # leading VAR=value assignments
        if not argv:
            return None
        program = Path(argv[0]).name
        if program in {"python", "python3"} and len(argv) > 1:
            if argv[1] == "-m" and len(argv) > 2 and argv[2] in TOOLS:
                return self.tool_problem(argv[2], argv[3:])
            if argv[1].startswith("scripts/"):
                return self.script_problem(argv[1], argv[2:])
            return None
        if program in TOOLS:
            return self.tool_problem(program, argv[1:])
        return None

    def script_problem(self, script: str, args: list[str]) -> str | None:
        if not (self.root / script).is_file():
            return f"{script} does not exist"
        flags = [a.split("=", 1)[0] for a in args if a.startswith("-")]
        if not flags:
            return None
        help_text = _help_output((sys.executable, str(self.root / script), "--help"), self.root)
        unknown = [f for f in flags if not re.search(rf"(?<![\w-]){re.escape(f)}(?![\w-])", help_text)]
        return f"{script} has no option {', '.join(unknown)}" if unknown else None

    def tool_problem(self, tool: str, args: list[str]) -> str | None:
        commands = _subcommands(tool)
        if isinstance(commands, str):
            return commands
        if not args or args[0] in {"-h", "--help", "--version"}:
            return None
        name, rest = args[0], args[1:]
        if len(args) > 1 and f"{args[0]} {args[1]}" in commands:  # a nested command: `runtime emulator X`
            name, rest = f"{args[0]} {args[1]}", args[2:]
        if name not in commands:
            known = ", ".join(sorted(commands)) or "none"
            return f"`{tool}` has no command {name!r} (commands: {known})"
        options = commands[name]
        unknown = [a.split("=", 1)[0] for a in rest if a.startswith("-") and a.split("=", 1)[0] not in options]
        return f"`{tool} {name}` has no option {', '.join(unknown)}" if unknown else None


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml may carry `!!python/name:` and `!ENV` tags; read them as plain values."""


_TolerantLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def _nav_files(nav: Any) -> Iterator[str]:
    if isinstance(nav, str):
        if not re.match(r"^[a-z]+://", nav):
            yield nav
    elif isinstance(nav, list):
        for item in nav:
            yield from _nav_files(item)
    elif isinstance(nav, dict):
        for value in nav.values():
            yield from _nav_files(value)


def _path_carriers(page: Page) -> Iterator[tuple[int, str]]:
    """(first line, text) of the places a page names repository paths: inline code spans and shell blocks.

    Prose is left out on purpose: "556 connectors/s" is a rate, not a path.
    """
    for match in _CODE_SPAN.finditer(page.prose):
        yield line_of(page.prose, match.start()), match["body"]
    for block in page.blocks:
        if block.lang in SHELL_LANGS:
            yield block.line, block.text


def _commands(page: Page) -> Iterator[tuple[int, str]]:
    """Commands shown in shell blocks (one per line, continuations joined) and in inline code spans."""
    for block in page.blocks:
        if block.lang not in SHELL_LANGS:
            continue
        pending, start = "", block.line
        for offset, raw in enumerate(block.text.split("\n")):
            line = raw.strip()
            if not pending:
                start = block.line + offset
                if block.lang in {"console", "shell-session"}:
                    if not line.startswith("$ "):
                        continue  # program output
                    line = line[2:]
            if line.endswith("\\"):
                pending += line[:-1] + " "
                continue
            full, pending = (pending + line).strip(), ""
            if full:
                yield start, full
    for match in _CODE_SPAN.finditer(page.prose):
        body = match["body"].strip()
        first = body.split(" ", 1)[0]
        if (first in TOOLS and " " in body) or body.startswith(("python scripts/", "python -m compiler")):
            yield line_of(page.prose, match.start()), body


def _split_shell(command: str) -> Iterator[list[str] | str]:
    """The simple commands of a shell line (split at `;`, `&&`, `||`, `|`), or a message when it cannot parse."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    argv: list[str] = []
    try:
        for token in lexer:
            if token and set(token) <= set(";&|"):
                if argv:
                    yield argv
                argv = []
            else:
                argv.append(token)
    except ValueError as error:
        yield f"cannot be parsed as a shell command ({error})"
        return
    if argv:
        yield argv


@functools.cache
def _help_output(argv: tuple[str, ...], cwd: Path) -> str:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=120, check=False)
    return result.stdout + result.stderr


@functools.cache
def _subcommands(tool: str) -> dict[str, frozenset[str]] | str:
    """Subcommand name -> its option strings, read from the tool's own argparse parser."""
    try:
        module = __import__(f"{tool}.cli", fromlist=["build_parser"])
        # `build_parser()` is the convention (compiler.cli); `_parser()` is accepted too.
        factory = getattr(module, "build_parser", None) or module._parser
        parser = factory()
    except Exception as error:  # the tool is missing or broken: that is the finding
        detail = str(error).replace(f"{ROOT}/", "")  # paths relative to the checkout, as everywhere else
        return f"`{tool}` command line cannot be loaded ({type(error).__name__}: {detail})"
    found: dict[str, frozenset[str]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found[name] = frozenset(sub._option_string_actions)
                for nested in sub._actions:  # one more level (`runtime emulator discoveryengine`)
                    if isinstance(nested, argparse._SubParsersAction):
                        for inner, leaf in nested.choices.items():
                            found[f"{name} {inner}"] = frozenset(leaf._option_string_actions)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Fail when the docs no longer match the repository.")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root (default: this checkout)")
    args = parser.parse_args(argv)
    try:
        checker = Checker(args.root.resolve())
        checker.check_schema_coverage()
        checker.check_nav()
        checker.check_links_and_paths()
        checker.check_commands()
        checker.check_examples()
    except Exception as error:  # the checker itself failed (unreadable page, schema of another shape): exit 2
        print(f"error: cannot run the docs checks: {type(error).__name__}: {error}", file=sys.stderr)
        return 2
    for line in checker.problems:
        print(line)
    if checker.problems:
        print(f"{len(checker.problems)} docs problem(s); fix the pages (or the code) so they agree", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
