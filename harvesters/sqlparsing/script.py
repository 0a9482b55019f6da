"""Scripts and stored procedures for :mod:`harvesters.sqlparsing.lineage`: split a script into the
statements that move data, skipping procedural control flow, and read the statements
sqlglot keeps as opaque commands.

:func:`split_statements` tokenizes with sqlglot's tokenizer of the dialect and cuts at
``;`` and at the start of each data statement (INSERT, UPDATE, DELETE, MERGE, CREATE,
ALTER, COPY, UNLOAD, SELECT/WITH after control flow...), so T-SQL bodies without
semicolons split too. Procedure headers (``CREATE [OR REPLACE|OR ALTER] PROCEDURE|FUNCTION
… AS|IS``), ``BEGIN``/``END``, ``IF … THEN``, ``DECLARE``, ``SET @x``, loops and exception
handlers are skipped; a dollar-quoted PostgreSQL body is split in turn.

:func:`command_lineage` reads Redshift/Athena ``UNLOAD ('query') TO 'path'``, MySQL
``RENAME TABLE a TO b``, Oracle ``ALTER TABLE a EXCHANGE PARTITION p WITH TABLE b`` and
Redshift ``ALTER TABLE a APPEND FROM b``.
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot.tokens import TokenType

STARTS = {
    "INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "ALTER", "DROP", "TRUNCATE", "COPY",
    "UNLOAD", "LOAD", "REPLACE", "UPSERT", "RENAME", "WITH", "SELECT", "USE",
}  # fmt: skip
# Starts that never cut a data statement already under way (INSERT … SELECT, CTAS...).
_QUERY_STARTS = {"WITH", "SELECT"}
CONTROL = {
    "IF", "ELSE", "ELSIF", "ELSEIF", "END", "BEGIN", "DECLARE", "RETURN", "EXEC", "EXECUTE",
    "PRINT", "COMMIT", "ROLLBACK", "RAISE", "RAISERROR", "THROW", "WHILE", "FETCH", "OPEN",
    "CLOSE", "GO", "CALL", "LEAVE", "EXCEPTION", "SET", "LOOP", "FOR", "GRANT",
    "DEALLOCATE", "WAITFOR", "CURSOR",
}  # fmt: skip
_NO_CUT_AFTER = {"THEN", "DO", "KEY", "OR", "ON", "FOR", "(", "UPDATE", "ALL", "NOT"}
_ROUTINES = {"PROCEDURE", "PROC", "FUNCTION", "TRIGGER", "PACKAGE", "BODY", "EVENT"}
_DDL_OBJECTS = {"TABLE", "VIEW", "INDEX", "SCHEMA", "DATABASE", "SEQUENCE", "STAGE",
                "PROCEDURE", "FUNCTION", "EXISTS", "TYPE", "TRIGGER", "STREAM", "TASK"}  # fmt: skip
_VALUE_TOKENS = {TokenType.VAR, TokenType.NUMBER, TokenType.STRING, TokenType.R_PAREN,
                 TokenType.IDENTIFIER}  # fmt: skip


class _Piece:
    __slots__ = ("start", "end", "kind", "first")

    def __init__(self, start: int, kind: str, first: str) -> None:
        self.start = start
        self.end = start
        self.kind = kind  # "data" or "junk"
        self.first = first


def split_statements(
    sql: str, dialect: str | None, in_body: bool = False, variables: set | None = None
) -> list[tuple[str, bool, frozenset]]:
    """``[(statement text, inside a routine body, variable names)]`` of the data
    statements of ``sql``; the variables are the lower-cased names declared so far
    (``DECLARE``, routine parameters, PL/SQL declarations), never table columns.

    Raises sqlglot's TokenError when the text cannot be tokenized."""
    variables = set() if variables is None else variables
    tokens = sqlglot.Dialect.get_or_raise(dialect).tokenize(sql)
    pieces: list[tuple[str, bool]] = []
    current: _Piece | None = None
    depth = 0
    case_depth = 0
    body = in_body
    routine = False

    def close() -> None:
        nonlocal current
        if current is not None and current.kind == "data":
            pieces.append(
                (sql[current.start : current.end + 1].strip(), body, frozenset(variables))
            )
        current = None

    skip = -1
    for i, token in enumerate(tokens):
        if i == skip:
            continue
        word = token.text.upper() if token.token_type != TokenType.STRING else ""
        if (
            word in _BODY_COMMANDS
            and i + 1 < len(tokens)
            and tokens[i + 1].token_type == TokenType.STRING
        ):  # the tokenizer keeps "BEGIN|DO|EXECUTE <rest of statement>" as one string
            close()
            body = True
            inner = _unquote_body(tokens[i + 1].text)
            pieces.extend(split_statements(inner, dialect, True, variables))
            skip = i + 1
            continue
        prev = tokens[i - 1] if i else None
        prev_word = prev.text.upper() if prev is not None else ""
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.token_type == TokenType.SEMICOLON and depth == 0:
            close()
            continue
        if (current is None or current.kind == "junk") and (
            token.token_type in (TokenType.HEREDOC_STRING, TokenType.RAW_STRING)
            or (routine and token.token_type == TokenType.STRING and sql[token.start] == "$")
        ):  # a dollar-quoted routine body ($$ … $$, $body$ … $body$)
            pieces.extend(split_statements(token.text, dialect, True, variables))
            continue
        if (
            token.token_type == TokenType.L_PAREN
            and current is not None
            and current.kind == "junk"
            and nxt is not None
            and nxt.text.upper() in _QUERY_STARTS
        ):  # IF EXISTS (SELECT …), LET n := (SELECT …): the tables it reads
            end = _closing_paren(tokens, i)
            if end is not None:
                inner = sql[nxt.start : tokens[end - 1].end + 1]
                pieces.append((inner, True, frozenset(variables)))
        if token.token_type == TokenType.L_PAREN:
            depth += 1
        elif token.token_type == TokenType.R_PAREN:
            depth = max(0, depth - 1)
        if depth == 0 and token.token_type != TokenType.L_PAREN:
            if word == "CASE":
                case_depth += 1
            elif word == "END" and case_depth:
                case_depth -= 1
                if current is not None:
                    current.end = token.end
                continue
            cut = _cuts(current, word, prev, prev_word, nxt, case_depth)
            if cut:
                close()
                if word in STARTS:
                    kind = "data"
                    if word in {"CREATE", "ALTER"} and _is_routine(tokens, i):
                        kind = "junk"
                        body = routine = True
                    elif word in {"DROP", "GRANT"}:
                        kind = "junk"
                    current = _Piece(token.start, kind, word)
                else:
                    if word == "BEGIN":
                        body = True
                    current = _Piece(token.start, "junk", word)
        if current is None:
            current = _Piece(token.start, "junk" if word not in STARTS else "data", word)
            if routine and token.token_type == TokenType.VAR and word not in CONTROL:
                variables.add(token.text.lower())  # PL/SQL declaration "v_x NUMBER;"
        elif (
            current.kind == "junk"
            and token.token_type == TokenType.VAR
            and (current.first == "DECLARE" or (routine and depth > 0))
        ):
            variables.add(token.text.lower())  # DECLARE x …, routine parameters
        current.end = token.end
    close()
    return [piece for piece in pieces if piece[0]]


_BODY_COMMANDS = {"BEGIN", "DO", "EXECUTE", "EXEC"}
_DOLLAR = re.compile(r"^\s*(?:IMMEDIATE\s+)?(\$\w*\$)(?P<body>.*)\1\s*$", re.DOTALL | re.I)


def _unquote_body(text: str) -> str:
    """The statements of ``DO $$ … $$`` / ``EXECUTE IMMEDIATE $$ … $$`` (or the text)."""
    match = _DOLLAR.match(text)
    if match:
        return match.group("body")
    text = re.sub(r"^\s*IMMEDIATE\b", "", text, flags=re.I).strip()
    if len(text) > 1 and text[0] == text[-1] and text[0] in "'\"":  # dynamic SQL literal
        text = text[1:-1].replace(text[0] * 2, text[0])
    return text


def _cuts(current: _Piece | None, word: str, prev, prev_word: str, nxt, case_depth: int) -> bool:
    """Whether ``word`` (at parenthesis depth 0) starts a new piece."""
    if current is None:
        return word in STARTS or word in CONTROL
    if prev_word == "." or (prev is not None and prev.token_type == TokenType.DOT):
        return False  # a qualified name such as etl.load
    if current.kind == "junk":
        if prev_word in {"OR", "AFTER", "BEFORE", "OF", "INSTEAD", "ON"}:
            return False  # CREATE OR REPLACE / OR ALTER, trigger events
        return word in STARTS or (word in CONTROL and word not in {"SET", "FOR", "LOOP"})
    if word in STARTS:
        if word in _QUERY_STARTS:
            return False
        if word == "USE" and nxt is not None and nxt.text.upper() in {"INDEX", "KEY"}:
            return False  # MySQL index hint
        if prev_word in _NO_CUT_AFTER or prev_word in {"INTO", "TABLE", "AS"}:
            return False
        if word == "REPLACE" and prev_word in {"OR", "INTO"}:
            return False
        return not (
            word in {"UPDATE", "DELETE", "INSERT"}
            and prev_word in {"ON", "FOR", "THEN", "DO", "KEY"}
        )
    if word not in CONTROL:
        return False
    if word in {"ELSE", "END"} and case_depth:
        return False
    if word in {"FOR", "LOOP", "OPEN", "CLOSE", "CURSOR", "USE"}:
        return False  # SELECT … FOR UPDATE / FOR XML, column names...
    if word == "SET":
        return current.first in {"INSERT", "DELETE", "SELECT", "WITH", "COPY"} and (
            prev_word not in {"UPDATE", "ON", "CHARACTER", "DEFAULT", "KEY"}
        )
    if word == "IF":
        if prev_word in _DDL_OBJECTS:
            return False
        if nxt is not None and nxt.token_type == TokenType.L_PAREN and prev is not None:
            return prev.token_type in _VALUE_TOKENS or prev_word == "END"
        return True
    if word == "EXCEPTION" or word == "RETURN":
        return True
    return prev is not None


def _closing_paren(tokens, index: int) -> int | None:
    """Index of the ``)`` matching the ``(`` at ``index``, or None."""
    depth = 0
    for j in range(index, len(tokens)):
        if tokens[j].token_type == TokenType.L_PAREN:
            depth += 1
        elif tokens[j].token_type == TokenType.R_PAREN:
            depth -= 1
            if depth == 0:
                return j
    return None


def _is_routine(tokens, index: int) -> bool:
    for token in tokens[index + 1 : index + 8]:
        word = token.text.upper()
        if word in _ROUTINES:
            return True
        if word in {"TABLE", "VIEW", "AS", "(", "SELECT", "INDEX", "SCHEMA"}:
            return False
    return False


_UNLOAD = re.compile(
    r"^\s*UNLOAD\s*\(\s*(?P<query>'(?:[^']|'')*'|.*?)\s*\)\s*TO\s*'(?P<path>[^']+)'",
    re.IGNORECASE | re.DOTALL,
)
_RENAME = re.compile(r"^\s*RENAME\s+TABLES?\s+(?P<pairs>.+)$", re.IGNORECASE | re.DOTALL)
_EXCHANGE = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?P<target>\S+)\s+EXCHANGE\s+PARTITION\s+.*?\bWITH\s+TABLE\s+"
    r"(?P<source>[^\s;]+)",
    re.IGNORECASE | re.DOTALL,
)
_APPEND = re.compile(
    r"^\s*ALTER\s+TABLE\s+(?P<target>[^\s;]+)\s+APPEND\s+FROM\s+(?P<source>[^\s;]+)",
    re.IGNORECASE,
)
_DIRECTORY_USING = re.compile(
    r"(INSERT\s+OVERWRITE\s+(?:LOCAL\s+)?DIRECTORY\s+'[^']*')\s+USING\s+\w+"
    r"(?:\s+OPTIONS\s*\([^)]*\))?",
    re.IGNORECASE,
)
_DIRECTORY_OPTIONS = re.compile(
    r"(INSERT\s+OVERWRITE\s+(?:LOCAL\s+)?DIRECTORY\s+'[^']*')\s+"
    r"(?:ROW\s+FORMAT\s+.*?|STORED\s+AS\s+\w+\s*)+(?=\bSELECT\b|\bWITH\b|\bFROM\b)",
    re.IGNORECASE | re.DOTALL,
)


_REPLACE_INTO = re.compile(r"^\s*REPLACE\s+INTO\b", re.IGNORECASE)


def rewrite_for_parser(text: str) -> str | None:
    """A simpler equivalent sqlglot can parse (same lineage), or None."""
    new = _REPLACE_INTO.sub("INSERT INTO", text)
    new = _DIRECTORY_USING.sub(r"\1", new)
    new = _DIRECTORY_OPTIONS.sub(r"\1 ", new)
    return new if new != text else None


def command_lineage(text: str) -> tuple[str, list[str], list[str]] | None:
    """``(inner query or "", inputs, outputs)`` of a statement sqlglot does not parse,
    or None when it is not one of UNLOAD / RENAME TABLE / EXCHANGE PARTITION."""
    match = _UNLOAD.match(text)
    if match:
        query = match.group("query")
        if query.startswith("'"):
            query = query[1:-1].replace("''", "'").replace("\\'", "'")
        return query, [], [match.group("path")]
    match = _RENAME.match(text)
    if match:
        inputs, outputs = [], []
        for pair in match.group("pairs").rstrip(";").split(","):
            parts = re.split(r"\s+TO\s+", pair.strip(), flags=re.IGNORECASE)
            if len(parts) == 2:
                inputs.append(parts[0].strip('`" '))
                outputs.append(parts[1].strip('`" '))
        return "", inputs, outputs
    match = _EXCHANGE.match(text) or _APPEND.match(text)
    if match:
        return "", [match.group("source").strip('`"')], [match.group("target").strip('`"')]
    return None
