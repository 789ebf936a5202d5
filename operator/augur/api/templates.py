"""Go templates in alert texts and receiver messages, checked as Go's text/template parses them.

Prometheus parses the templates of an alert's labels and annotations when it loads the rule
file, and refuses the whole file for one that does not parse; Alertmanager parses a
receiver's templates only when it sends a notification, which then fails. `template_problem`
follows text/template's grammar closely enough to refuse what it refuses: actions left open,
`{{end}}` / `{{else}}` without their block, blocks never ended, parentheses, empty commands,
variables never declared, functions neither Go nor the program defines, and (Alertmanager)
templates that do not exist. What it does not judge (the fields a template reads, arity) is
left to promtool and amtool.

`reloader_reference` finds `$(NAME)` in text bound for the Alertmanager configuration: the
configuration reloader replaces it with an environment variable and refuses the whole
configuration when there is none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

GO_FUNCTIONS = frozenset(
    [
        "and",
        "call",
        "html",
        "index",
        "slice",
        "js",
        "len",
        "not",
        "or",
        "print",
        "printf",
        "println",
        "urlquery",
        "eq",
        "ge",
        "gt",
        "le",
        "lt",
        "ne",
    ]
)
PROMETHEUS_FUNCTIONS = GO_FUNCTIONS | frozenset(
    [
        "query",
        "first",
        "label",
        "value",
        "strvalue",
        "args",
        "reReplaceAll",
        "safeHtml",
        "match",
        "title",
        "toUpper",
        "toLower",
        "graphLink",
        "tableLink",
        "sortByLabel",
        "stripPort",
        "stripDomain",
        "humanize",
        "humanize1024",
        "humanizeDuration",
        "humanizePercentage",
        "humanizeTimestamp",
        "toTime",
        "pathPrefix",
        "externalURL",
        "parseDuration",
    ]
)
"""Functions of Prometheus 3.5's alert templates (template/template.go)."""
ALERTMANAGER_FUNCTIONS = GO_FUNCTIONS | frozenset(
    [
        "toUpper",
        "toLower",
        "title",
        "trimSpace",
        "join",
        "match",
        "safeHtml",
        "reReplaceAll",
        "stringSlice",
        "date",
        "tz",
        "since",
        "humanizeDuration",
    ]
)
"""Functions of Alertmanager 0.28's templates (template/template.go)."""
_ALERTMANAGER_TEMPLATE_NAMES = """
    __alertmanager __alertmanagerURL __description __subject __text_alert_list
    __text_alert_list_markdown discord.default.content discord.default.message
    discord.default.title email.default.html email.default.subject
    jira.default.description jira.default.priority jira.default.summary
    msteams.default.summary msteams.default.text msteams.default.title
    msteamsv2.default.text msteamsv2.default.title opsgenie.default.description
    opsgenie.default.message opsgenie.default.source pagerduty.default.client
    pagerduty.default.clientURL pagerduty.default.description
    pagerduty.default.instances pushover.default.message pushover.default.title
    pushover.default.url rocketchat.default.alias rocketchat.default.emoji
    rocketchat.default.iconurl rocketchat.default.text rocketchat.default.title
    rocketchat.default.titlelink slack.default.callbackid slack.default.fallback
    slack.default.footer slack.default.iconemoji slack.default.iconurl
    slack.default.pretext slack.default.text slack.default.title slack.default.titlelink
    slack.default.username sns.default.message sns.default.subject
    telegram.default.message victorops.default.entity_display_name
    victorops.default.monitoring_tool victorops.default.state_message
    webex.default.message wechat.default.agent_id wechat.default.message
    wechat.default.to_party wechat.default.to_tag wechat.default.to_user
"""
ALERTMANAGER_TEMPLATES = frozenset(_ALERTMANAGER_TEMPLATE_NAMES.split())
"""The named templates Alertmanager 0.28 ships (template/default.tmpl and email.tmpl)."""


@dataclass(frozen=True)
class Dialect:
    """What a program's templates may use."""

    functions: frozenset[str]
    variables: frozenset[str]
    templates: frozenset[str]


PROMETHEUS = Dialect(
    PROMETHEUS_FUNCTIONS,
    frozenset({"$", "$labels", "$externalLabels", "$externalURL", "$value"}),
    frozenset(),
)
"""An alerting rule's labels and annotations (Prometheus declares $labels, $value, ...)."""
ALERTMANAGER = Dialect(ALERTMANAGER_FUNCTIONS, frozenset({"$"}), ALERTMANAGER_TEMPLATES)
"""A receiver's fields."""

_TOKEN = re.compile(
    r"""\s+|(?P<str>"(?:\\.|[^"\\\n])*"|`[^`]*`|'(?:\\.|[^'\\\n])+')|(?P<decl>:=|=)
    |(?P<var>\$[A-Za-z0-9_]*)|(?P<field>(?:\.[A-Za-z_][A-Za-z0-9_]*)+|\.)
    |(?P<num>[-+]?(?:0[xX][0-9a-fA-F_]+|[0-9][0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|\.[0-9]+)i?)
    |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)|(?P<punct>[|(),])""",
    re.VERBOSE,
)
_OPEN_STRING = re.compile(r"""["'`]""")
_KEYWORDS = frozenset(
    [
        "if",
        "else",
        "end",
        "range",
        "with",
        "define",
        "block",
        "template",
        "break",
        "continue",
        "true",
        "false",
        "nil",
    ]
)
_BLOCKS = frozenset({"if", "range", "with", "define", "block"})
_RELOADER_VARIABLE = re.compile(r"\$\(([a-zA-Z_0-9]+)\)")


class TemplateError(ValueError):
    """A template text/template would refuse."""


def _actions(text: str) -> list[str]:
    """The inside of every `{{ … }}`, trim markers and comments taken off."""
    found: list[str] = []
    position = 0
    while (start := text.find("{{", position)) >= 0:
        inside = start + 2
        if text.startswith("- ", inside) or text.startswith(("-\t", "-\n", "-\r"), inside):
            inside += 2
        if text.startswith("/*", inside):
            close = text.find("*/", inside + 2)
            if close < 0:
                raise TemplateError("unclosed comment")
            rest = text[close + 2 :]
            stripped = rest[3:] if rest.startswith((" -}}", "\t-}}", "\n-}}")) else rest
            if not stripped.startswith("}}") and not rest.startswith((" -}}", "\t-}}", "\n-}}")):
                raise TemplateError("comment ends before closing delimiter")
            position = close + 2 + (4 if rest.startswith((" -}}", "\t-}}", "\n-}}")) else 2)
            continue
        end, index = -1, inside
        while index < len(text):
            if text.startswith("}}", index):
                end = index
                break
            quote = _OPEN_STRING.match(text, index)
            if quote:
                closing = _TOKEN.match(text, index)
                if closing is None or closing.group("str") is None:
                    raise TemplateError("unterminated quoted string")
                index = closing.end()
                continue
            index += 1
        if end < 0:
            raise TemplateError("unclosed action")
        body = text[inside:end]
        if body.endswith((" -", "\t-", "\n-")):
            body = body[:-2]
        found.append(body)
        position = end + 2
    return found


def _tokens(action: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    position = 0
    while position < len(action):
        match = _TOKEN.match(action, position)
        if match is None or match.end() == position:
            raise TemplateError(f"unexpected {action[position]!r} in command")
        if match.lastgroup is not None:
            tokens.append((match.lastgroup, match.group()))
        position = match.end()
    return tokens


class _Checker:
    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.blocks: list[str] = []
        self.scopes: list[set[str]] = [set(dialect.variables)]
        self.defined: set[str] = set()
        self.used: set[str] = set()

    def visible(self) -> list[set[str]]:
        """The scopes a variable may come from: a {{define}} starts afresh, with `$` only."""
        for index in range(len(self.blocks) - 1, -1, -1):
            if self.blocks[index] == "define":
                return self.scopes[index + 1 :]
        return self.scopes

    def pipeline(self, tokens: list[tuple[str, str]], what: str) -> None:
        decl = next((i for i, (kind, _) in enumerate(tokens) if kind == "decl"), None)
        if decl is not None:
            names = [text for kind, text in tokens[:decl] if kind == "var"]
            if not names or any(k not in ("var", "punct") for k, _ in tokens[:decl]):
                raise TemplateError(f"unexpected {tokens[decl][1]} in {what}")
            if tokens[decl][1] == ":=":
                self.scopes[-1].update(names)
            else:
                for name in names:
                    self.operand("var", name)
            tokens = tokens[decl + 1 :]
        if not tokens:
            raise TemplateError(f"missing value for {what}")
        depth, command = 0, 0
        for kind, text in tokens:
            if text == "(":
                depth, command = depth + 1, 0
            elif text == ")":
                if depth == 0 or command == 0:
                    raise TemplateError("unexpected right paren" if depth == 0 else "missing value")
                depth -= 1
                command += 1
            elif text == "|":
                if command == 0:
                    raise TemplateError(f"missing value for {what}")
                command = 0
            else:
                command += 1
                self.operand(kind, text)
        if depth:
            raise TemplateError("unclosed left paren")
        if command == 0:
            raise TemplateError(f"missing value for {what}")
        if [text for _, text in tokens] == ["nil"]:
            raise TemplateError("nil is not a command")

    def operand(self, kind: str, text: str) -> None:
        if kind == "var":
            name = text.split(".")[0]
            if not any(name in scope for scope in self.visible()):
                raise TemplateError(f'undefined variable "{name}"')
        elif kind == "ident":
            if text in _KEYWORDS - {"true", "false", "nil"}:
                raise TemplateError(f"unexpected <{text}> in command")
            if text not in _KEYWORDS and text not in self.dialect.functions:
                raise TemplateError(f'function "{text}" not defined')

    def action(self, tokens: list[tuple[str, str]]) -> None:
        if not tokens:
            raise TemplateError("missing value for command")
        head = tokens[0][1] if tokens[0][0] == "ident" else ""
        rest = tokens[1:]
        if head in ("if", "range", "with"):
            self.blocks.append(head)
            self.scopes.append(set())
            self.pipeline(rest, head)
        elif head in ("define", "block", "template"):
            if not rest or rest[0][0] != "str":
                raise TemplateError(f"missing name in {{{{{head}}}}}")
            name = rest[0][1][1:-1]
            if head == "template":
                self.used.add(name)
            else:
                self.defined.add(name)
            if head != "define" and len(rest) > 1:
                self.pipeline(rest[1:], head)
            if head != "template":
                self.blocks.append(head)
                self.scopes.append({"$"} if head == "define" else set())
        elif head == "else":
            if not self.blocks or self.blocks[-1] not in ("if", "range", "with"):
                raise TemplateError("unexpected {{else}}")
            if rest:
                if rest[0][1] not in ("if", "with") or len(rest) < 2:
                    raise TemplateError("unexpected token after {{else}}")
                self.pipeline(rest[1:], rest[0][1])
        elif head == "end":
            if not self.blocks or rest:
                raise TemplateError("unexpected {{end}}")
            self.blocks.pop()
            self.scopes.pop()
        elif head in ("break", "continue"):
            if "range" not in self.blocks or rest:
                raise TemplateError(f"{{{{{head}}}}} outside {{{{range}}}}")
        else:
            self.pipeline(tokens, "command")


def template_problem(text: str, dialect: Dialect) -> str | None:
    """Why Go's text/template (with the program's functions and variables) refuses `text`,
    or None."""
    if "{{" not in text:
        return None
    checker = _Checker(dialect)
    try:
        for action in _actions(text):
            checker.action(_tokens(action))
        if checker.blocks:
            raise TemplateError(f"unexpected EOF: {{{{{checker.blocks[-1]}}}}} has no {{{{end}}}}")
        missing = sorted(checker.used - checker.defined - dialect.templates)
        if missing:
            raise TemplateError(f'no such template "{missing[0]}"')
    except TemplateError as error:
        return f"not a valid template: {error}"
    return None


def reloader_reference(text: str) -> str | None:
    """A `$(NAME)` in `text` that the configuration reloader would try to expand, or None."""
    match = _RELOADER_VARIABLE.search(text)
    return match.group() if match else None
