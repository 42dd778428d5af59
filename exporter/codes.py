"""Every finding code qbank can report, declared once, as data (like mypy's `ErrorCode`).

A code's severity is decided here, not at the call that reports it, so `--ignore`,
`--warnings-as-errors`, the README's tables and the JSON report all agree with what the
code means. A stage that reports a new kind of problem adds one `Code(...)` row below and
a row to the README table of its section (tests/test_codes.py checks both directions).

Families, by the stage that reports them (a CI log says where to look):

    E0xx  reading a file: unreadable, not UTF-8, empty, tabs, YAML syntax, duplicate keys
    E1xx  the bank's JSON Schema          E2xx  bank rules the schema cannot state
    L1xx  stable identity (bank/qbank.lock, retired ids)
    X1xx  a check expression that is unsafe or does not parse (nothing is executed)
    K1xx  answer keys sympy disagrees with, or cannot decide
    V1xx  variants of parametrised questions    Q1xx/Q2xx  quiz files
    F1xx  figures (missing, outside the bank, too big, wrong type, no alt text)
    P1xx/P2xx  math the preview's LaTeX → MathML converter cannot draw (errors / warnings)
    I1xx/I2xx  `qbank import`: errors and warnings of the readers of LMS formats
    W2xx  something a target (any writer) cannot carry
    C/M/G 1xx errors and 2xx warnings of the Canvas, Moodle (both Moodle XML and GIFT
          import into Moodle's question bank: its rules are M codes) and GIFT writers
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    stage: str  # read, schema, bank, lock, expression, keys, variants, quizzes, figures, or a target
    summary: str  # what the problem is, in one line
    action: str  # what to do about it


LOSS_STAGES = ("write", "canvas", "moodle", "gift")
"""Stages whose warnings say what a target cannot keep: the only ones `accept_losses` may name."""


def _registry(*codes: Code) -> dict[str, Code]:
    table: dict[str, Code] = {}
    for c in codes:
        if c.code in table:
            raise ValueError(f"finding code {c.code} declared twice")
        table[c.code] = c
    return table


CODES: dict[str, Code] = _registry(
    # --- reading a file (exporter/yamlsource.py, load.py)
    Code("E000", "error", "read", "the file cannot be read", "check that it exists and its permissions"),
    Code("E001", "error", "read", "YAML syntax error",
         "the message says what to do: almost always, put the text in single quotes or write it as a `|` block"),
    Code("E002", "error", "read", "not UTF-8", "save the file as UTF-8"),
    Code("E003", "error", "read", "empty file", "add `title:` and `questions:` or delete the file"),
    Code("E004", "error", "read", "tab in indentation", "indent with spaces"),
    Code("E005", "error", "read", "duplicate key (YAML keeps only the last)", "merge or delete one of them"),
    Code("E006", "error", "read",
         "unsupported YAML (merge keys, aliases `*name`, nesting deeper than 40 levels, non-text keys, unreadable values)",
         "write the fields out"),
    Code("E007", "error", "read",
         'a double-quoted string whose escape ate a LaTeX command (`"\\theta"` is a tab + `heta`)',
         "single quotes or a `|` block (see *Writing LaTeX in YAML*)"),
    Code("E008", "error", "read", "a control character in a text (it cannot be exported)",
         "remove it; in double quotes an escape like `\\f` makes one"),
    # --- the JSON Schema (schema/bank.schema.json)
    Code("E009", "error", "read", "a file name that is not UTF-8 or holds a control character",
         "rename the file (letters, digits, `-`, `_`)"),
    Code("E100", "error", "schema", "any other schema rule", "the message quotes the schema: follow it"),
    Code("E101", "error", "schema", 'unknown field (with a "did you mean")', "fix the spelling or remove it"),
    Code("E102", "error", "schema", "missing required field", "add it; the message says which type needs it"),
    Code("E103", "error", "schema", "wrong type of value",
         "e.g. `points: one` → `points: 1`; a text `no`, `yes`, `on`, `off` or `12` must be quoted (`'no'`)"),
    Code("E104", "error", "schema", 'value not in the allowed list (with a "did you mean")',
         "e.g. `type: numericle` → `numerical`"),
    Code("E105", "error", "schema", "malformed id, symbol or tag", "ids are lower-case `a-z 0-9 . _ -`"),
    Code("E106", "error", "schema", "wrong number of `correct: true` choices",
         "one for `multiple_choice`, at least one for `multiple_answers`"),
    Code("E107", "error", "schema", "too few items (choices, answers, pairs)", "add them"),
    Code("E108", "error", "schema", "the same item listed twice", "remove the repeat"),
    Code("E109", "error", "schema", "number out of range (`tolerance < 0`, `points ≤ 0`)", "fix the number"),
    Code("E110", "error", "schema", "a text shorter than its minimum: empty, or a `manual:` reason of fewer than 10 characters",
         "write it; for `manual:`, say in a sentence why the key cannot be computed"),
    Code("E111", "error", "schema", "text too long", "shorten it"),
    Code("E112", "error", "schema", "a field the question's type does not use", "remove it or change `type`"),
    Code("E113", "error", "schema", "a choice with both `value` and `claim`", "keep one"),
    Code("E114", "error", "bank", "a `check` that checks nothing",
         "give `quantity`, `claim`, `define` or `given`, or a `claim` on every choice of a choice question, "
         "or `manual: <reason>`"),
    # --- bank rules the schema cannot state (load.py, variants.py)
    Code("E201", "error", "bank", "id used twice across the bank", "give the later question a new id"),
    Code("E202", "error", "bank", "two options with the same text", "students could not tell them apart: reword one"),
    Code("E203", "error", "bank", "a `numerical` answer that is `true`/`false`", "give a number"),
    Code("E204", "error", "bank", "a name declared as both symbol and function", "rename one"),
    Code("E205", "error", "bank", "a parameter value, or a range bound, that is not a finite number", "give a finite number"),
    Code("E206", "error", "bank", "a range that ends before it starts, or has more than 1000 values",
         "fix the bounds or the step"),
    Code("E207", "error", "bank", "a name that is both a parameter and a derived name, or also declared in the check",
         "rename one of them"),
    Code("E208", "error", "bank", "`{{…}}` in a check expression", "use the parameter's name itself in checks"),
    Code("E209", "error", "bank",
         "`{{name}}` naming no parameter or derived value (or in a question without `parameters:`); "
         "a string `answer` that names none",
         "fix the name or declare it under `parameters:`"),
    Code("E210", "error", "bank", "`count` larger than the number of combinations", "lower `count` or add values"),
    Code("E211", "error", "bank",
         "a text parameter misused: numbers and texts mixed, used in a check expression though its values are not names, "
         "a `derived` selection by a non-text parameter or without a case for every value, `digits` for a text",
         "select an expression by the text parameter under `derived:`, or give every value a case"),
    Code("E215", "error", "bank", "`points`, `answer` or `tolerance` that is not a finite number (`.nan`, `.inf`)",
         "give a finite number"),
    Code("E216", "error", "bank", "`count` above the maximum number of variants (1000, `exporter.variants.MAX_VARIANTS`)",
         "lower `count`: a few dozen variants are plenty"),
    Code("E220", "error", "bank",
         "two bank files that would be exported under one name (`a/q.yaml` and `b/q.yaml`, `q.yaml` and `q.yml`, "
         "names differing only in case)", "rename one of the files"),
    Code("E217", "error", "bank",
         "credits that contradict the key or each other (a multiple_choice key not worth 100 %, a multiple_answers "
         "correct set not adding up to 100 %, a positive credit on an incorrect option, no short answer worth 100 %)",
         "the message says which credit to change"),
    Code("E218", "error", "bank", "`shuffle` on a question without options", "remove it"),
    Code("E230", "error", "bank", "a cloze part not placed exactly once in the text as `[[name]]`",
         "write `[[name]]` once where the part's blank goes"),
    Code("E231", "error", "bank", "a `[[name]]` blank in a cloze text that names no part", "add the part or fix the name"),
    Code("E232", "error", "bank", "two parts of a cloze question with the same name", "rename one"),
    Code("E233", "error", "bank", "a cloze question's `points` differ from the sum of its parts' points",
         "leave out the question's `points` and set each part's `points:`"),
    Code("E234", "error", "bank", "a `credit:` in a cloze part (parts take full-credit keys only, for now)",
         "remove the credit"),
    Code("E219", "error", "bank",
         "`accept_losses` names a code that is not a warning about what a target cannot keep (W201, C2xx, M2xx, G2xx)",
         "list only the target warnings this question is known to cause; fix anything else"),
    # --- stable identity (identity.py)
    Code("L101", "error", "lock", "a released id is gone from the bank",
         "restore it, or list it under `retired: [id]` at the top of its bank file"),
    Code("L102", "error", "lock", "a released question's key, type or check changed",
         "a different question: new id, retire the old one; a correction of the same question: `qbank lock --accept ID`"),
    Code("L103", "error", "lock", "a retired id is used again", "give the question a new id"),
    Code("L104", "error", "lock", "bank/qbank.lock is damaged: not UTF-8, not JSON, or an entry of the wrong shape",
         "restore it from git; only if it is lost, delete it and run `qbank build`"),
    Code("L105", "error", "lock", "merge-conflict markers in bank/qbank.lock (normal when two branches released questions)",
         "keep either side (`git checkout --ours`/`--theirs`), then run `qbank build`"),
    # --- check expressions (expr.py)
    Code("X101", "error", "expression", "the expression does not parse, or is too long / too deeply nested",
         "fix the syntax at the column shown, or split the expression with `define`"),
    Code("X102", "error", "expression", "syntax that is not allowed (attribute access, `_names`, lambdas, strings, …)",
         "write it with the check language's operators and functions"),
    Code("X103", "error", "expression", "unknown name (not declared under `symbols`, `functions` or `define`)",
         "declare it, or fix the spelling"),
    Code("X104", "error", "expression", "unknown function, or a call of something that is not a function",
         "use a function the check language knows, or declare it under `functions`"),
    Code("X105", "error", "expression", "wrong use: argument count, comparison outside a claim, bad `diff` variable",
         "fix the call as the message says"),
    Code("X106", "error", "expression", "a number or array too large to compute safely", "use smaller numbers or shapes"),
    Code("X107", "error", "expression", "shapes or indices that do not fit (matrix product, index out of range)",
         "fix the shapes or the index"),
    Code("X108", "error", "expression", "a bad declaration (built-in or duplicate name, unusable shape)",
         "rename it or fix its shape"),
    # --- answer keys (keycheck/)
    Code("K101", "error", "keys", "a `correct:` flag (or a true/false `answer`) disagrees with sympy",
         "fix the key (or the check, if the check is what is wrong)"),
    Code("K102", "error", "keys", "a distractor equals the key", "change the distractor"),
    Code("K103", "error", "keys", "a numerical `answer` is outside its `tolerance` of the computed value",
         "fix the answer, or the tolerance"),
    Code("K104", "error", "keys", "sympy can neither prove nor refute an equality or claim",
         "give `given:` values, simpler forms, or `check: {manual: <reason>}`"),
    Code("K105", "error", "keys", "a choice without `value` or `claim` in a machine-checked question",
         "give every choice a `value` or a `claim`"),
    Code("K106", "error", "keys", "a question without `check` (reported when the bank is loaded, at its id)",
         "add a `check` block, or `check: {manual: <why it cannot be computed>}`"),
    Code("K107", "error", "keys", "a check that does not fit the question type (e.g. no `quantity`)",
         "give the check what the type needs"),
    Code("K108", "error", "keys", "the check did not finish within the time bound",
         "simplify the check, give values, or raise `--timeout`"),
    Code("K109", "error", "keys", "the check could not be evaluated (sympy failed, worker died)",
         "run again; if it persists, simplify the check or use `check: {manual: <reason>}`"),
    Code("K110", "error", "keys", "a `given` that cannot be used", "give a number or an expression in the declared names"),
    Code("K111", "error", "keys", "a numerical quantity that is not a number (symbols left without values)",
         "give every symbol a value under `given:`"),
    Code("K112", "error", "keys", "a value undefined at the given point (division by zero)",
         "choose other `given:` values"),
    Code("K113", "error", "keys", "a template given to the checker directly (check its variants: `exporter.variants.expand`)",
         "expand variants before checking (a bug in the caller, not the bank)"),
    # --- displayed keys and givens (display.py, givens_shown.py)
    Code("K120", "error", "keys", "a choice's displayed text denotes something else than its `value`",
         "fix the text or the value (see *Displayed keys*)"),
    Code("K121", "warning", "keys", "a choice's text qbank cannot read: taken as written (counted in the summary; "
         "shown, as an error, only with `--strict-display`)",
         "write it as a number or one `$…$` formula, or map names with the check's `display:`"),
    Code("K122", "error", "keys", "a number under `given:` that the question text does not show",
         "show the value in the text, or fix the given"),
    # --- math lint (mathlint.py): what MathJax would show as an error or red text
    Code("T101", "error", "math", "unbalanced `{ }` in a math span", "close every `{` (a literal brace is `\\{`)"),
    Code("T102", "error", "math", "`\\left` without `\\right` (or the reverse)", "pair them (`\\right.` closes with nothing)"),
    Code("T103", "error", "math", "`\\begin`/`\\end` that do not pair up, or an environment MathJax lacks",
         "close each environment with its own name"),
    Code("T201", "warning", "math", "a command MathJax does not define (it shows as red text)", "fix the spelling"),
    Code("T202", "warning", "math", "a lost backslash: `rac{`, `ext{`, `imes`, `anh(` (a command without its backslash "
         "and first letter, as a double-quoted YAML escape or a scrape leaves it)", "write the command the message names"),
    # --- variants (variants.py)
    Code("K114", "error", "keys", "the check needed more memory than the bound (`--memory`, default 2048 MiB)",
         "simplify the check (expand less, smaller powers), or raise `--memory`"),
    Code("K115", "error", "keys",
         "a numerical question's other answer (a partial-credit or feedback range) holds the key itself",
         "narrow the range or move it: a right answer must never be scored with another range's credit"),
    Code("V101", "error", "variants", "a derived value that is undefined, not a number or not real for one variant",
         "narrow the parameter ranges, or change the derived formula"),
    Code("V102", "error", "variants", "two options of one variant that read the same",
         "change the options or the parameter values"),
    Code("V103", "error", "variants", "a variant id (`<id>-v<N>`) that another question already uses",
         "rename the other question"),
    Code("V104", "error", "variants", "a derived value that cannot be written back in the check language",
         "change the derived formula"),
    Code("V105", "error", "variants", "too few draws of the parameter values satisfy the `where:` conditions "
         "(or leave a dependent range non-empty) within 1000 draws",
         "relax the conditions, widen the values or lower `count`"),
    Code("V106", "error", "variants", "a `where:` condition that cannot be decided, or a dependent range whose bounds "
         "are not exact numbers or give over 1000 values", "write the condition or bounds in exact numbers"),
    Code("V107", "error", "variants",
         "derived values too large (over 60 digits, beyond 1e±100) or too slow (the `--timeout` bound) to compute",
         "simplify the derived expressions"),
    # --- quiz files (quizzes.py)
    Code("Q101", "error", "quizzes", 'unknown field (with a "did you mean")', "fix the spelling or remove it"),
    Code("Q102", "error", "quizzes", "missing field (`title`, `questions`, a group's `pick`)", "add it"),
    Code("Q103", "error", "quizzes", "a value of the wrong kind (`pick: 0`, `points: -1`)", "fix the value"),
    Code("Q104", "error", "quizzes",
         "an item that is neither one question (`id`) nor a group (`group` + `pick` + exactly one of `from`/`tag`)",
         "write the item as one of the two"),
    Code("Q201", "error", "quizzes", 'an id the bank lacks (with a "did you mean")', "fix the id"),
    Code("Q202", "error", "quizzes", "a tag no bank question has", "fix the tag"),
    Code("Q203", "error", "quizzes", "a group that picks more questions than it holds", "lower `pick` or add questions"),
    Code("Q204", "error", "quizzes",
         "a question used twice in one quiz (two items with one Canvas ident / Moodle idnumber)", "remove one"),
    Code("Q205", "error", "quizzes", "two groups with one name", "rename one"),
    Code("Q206", "error", "quizzes",
         "a quiz file named like a bank file (Canvas would identify both by the same quiz ident)", "rename the quiz file"),
    Code("Q208", "error", "quizzes",
         "two quiz files that would be exported under one name (`x.yaml` and `x.yml`, names differing only in case)",
         "rename one of the files"),
    Code("Q207", "warning", "quizzes",
         "a group without `points:` whose questions are worth different points (each picked question counts the highest)",
         "give the group `points:`"),
    # --- figures (figures.py)
    Code("F101", "error", "figures", "the figure file does not exist (or is a folder)", "fix the path or add the file"),
    Code("F102", "error", "figures",
         "the path is absolute, climbs out of the bank folder, or is a symlink to a file outside it",
         "put the figure inside the bank folder and refer to it relatively"),
    Code("F103", "error", "figures", "the file is larger than `MAX_BYTES`", "make the image smaller"),
    Code("F104", "error", "figures",
         "not PNG, JPEG, GIF or SVG, or the content is not what the extension says, or an SVG that is not an SVG document",
         "convert it to PNG, JPEG, GIF or SVG"),
    Code("F105", "error", "figures", "the image has no alt text", "write `![what it shows](path)`"),
    Code("F106", "error", "figures", "the image is a URL, not a file of the bank", "download it into the bank folder"),
    Code("F107", "error", "figures",
         "an SVG with something not on the allow-list (scripts, event handlers, animation, `<foreignObject>`, links "
         "out of the file, external CSS, processing instructions) or entity declarations",
         "remove what the message names (save as plain SVG)"),
    Code("F108", "error", "figures", "a file or folder name with characters other than letters, digits, `.`, `_`, `-`",
         "rename it"),
    # --- math the preview cannot draw (mathml.py)
    Code("P101", "error", "math",
         "a math span the preview's converter cannot parse though the math lint (T1xx) passed it — a missing argument "
         "(`\\sqrt` alone, `x^`): the preview cannot render it, and MathJax in the LMS shows an error too",
         "fix the LaTeX at the location given"),
    Code("P201", "warning", "math",
         "a math span uses a command or environment MathJax knows but the preview's converter (latex2mathml) does not "
         "(`\\bbox`, `\\eqref`, `\\begin{aligned}`); the LMS will draw it, the preview shows its source, marked",
         "accept the warning, or use a command both know"),
    # --- `qbank import`: readers of LMS formats (exporter/readers/)
    Code("I101", "error", "import", "the file cannot be read", "check the path and permissions"),
    Code("I102", "error", "import", "not UTF-8 (or broken UTF-16)", "save the file as UTF-8"),
    Code("I103", "error", "import",
         "the file (or package) is too large, or a zip entry's compression ratio is a zip bomb's", "split the export"),
    Code("I104", "error", "import", "not well-formed XML", "export again from the LMS"),
    Code("I105", "error", "import", "the XML declares entities (entity bomb / XXE)", "export again from the LMS"),
    Code("I106", "error", "import", "not a usable zip package (corrupt, no assessment, an unsafe entry)",
         "export again from the LMS"),
    Code("I107", "error", "import", "the format cannot be recognised", "name it with `--from`"),
    Code("I108", "error", "import",
         "a question that cannot be imported (its type or shape has no qbank equivalent), skipped",
         "recreate it by hand, or leave it in the LMS"),
    Code("I201", "warning", "import", "formatting Markdown cannot hold was dropped (the text was kept)",
         "compare with the LMS and rewrite the formatting in Markdown"),
    Code("I202", "warning", "import", "partial credit or extra accepted answers dropped; the key was kept",
         "check the question's grading"),
    Code("I203", "warning", "import", "an id was changed to be valid or unique; the original is in a comment",
         "keep the comment if an LMS record must be matched"),
    Code("I204", "warning", "import",
         "an image could not be brought in (not PNG/JPEG/GIF/SVG, unsafe SVG, missing file)", "add the figure by hand"),
    Code("I205", "warning", "import", "a setting qbank does not have was dropped (units, case-sensitive answers)",
         "check the question"),
    # --- any target
    Code("W201", "warning", "write",
         "feedback a target has no place for is not exported (Canvas: partial feedback, outcome feedback on an "
         "essay; Moodle XML and GIFT: what the Moodle type cannot hold)",
         "move it to `feedback.general` or `solution`, or accept that this target drops it"),
    # --- Canvas (writers/canvas.py)
    Code("C101", "error", "canvas",
         "a key Canvas would import differently: a multiple choice without exactly one correct option, multiple answers "
         "with none, a short answer with no non-empty accepted text (Canvas would make it an essay), a matching "
         "question without pairs",
         "fix the options or the accepted answers"),
    Code("C102", "error", "canvas", "question text over Canvas's 16 384-character limit once rendered",
         "shorten the text, or move long parts to a figure"),
    Code("C103", "error", "canvas", "two questions (or a question and the quiz) would get the same Canvas ident",
         "rename one of them"),
    Code("C104", "error", "canvas", "a numerical question without a finite answer and a tolerance ≥ 0",
         "give a finite answer and tolerance"),
    Code("C105", "error", "canvas",
         "a text with a character XML cannot carry (control characters, NUL, U+FFFE/U+FFFF, a lone surrogate)",
         "delete it (the loader refuses these in bank files: this guards models built some other way)"),
    Code("C111", "error", "canvas",
         "a Canvas group that lists a question the quiz lacks, shares a question with another group, or picks more "
         "than it holds",
         "fix the quiz's groups"),
    Code("C201", "warning", "canvas", "numerical answer with 0 < |x| < 0.0001: students cannot type it in Canvas",
         "rescale the question (e.g. ask in other units)"),
    Code("C204", "warning", "canvas",
         "a matching prompt or answer loses formatting, shows its math as LaTeX source, or (prompt) contains `<` `>` `&`",
         "write matching sides as plain text"),
    Code("C205", "warning", "canvas", "a matching distractor repeats a right-hand answer and is listed once",
         "remove the repeated distractor"),
    Code("C206", "warning", "canvas",
         "partial credit or a penalty Canvas's importer cannot keep (it reads no weights): a choice scores 0 % instead, "
         "multiple-answers credits give way to Canvas's own rule, a numerical range or short answer worth less than "
         "100 % is left out",
         "accept Canvas's score (the message says what students get), or use the Moodle exports for this question"),
    Code("C207", "warning", "canvas",
         "`shuffle: true` on some questions only: Canvas shuffles answers per quiz, not per question",
         "switch Shuffle answers on in the Canvas quiz if that is wanted"),
    Code("C211", "warning", "canvas", "a Canvas group without points whose questions differ in points",
         "give the group `points:`"),
    # --- Moodle: the question-bank rules both Moodle exports obey (writers/moodle_bank.py),
    #     and Moodle XML's own (writers/moodle.py)
    Code("C230", "warning", "canvas",
         "a cloze blank Canvas scores by exact text: a numerical part accepts only its answer as written (no "
         "tolerance, no other spelling), a choice part among typed blanks shows no options, per-blank feedback is lost",
         "accept it, or ask for the value in a form with one spelling (an integer)"),
    Code("C231", "warning", "canvas", "cloze parts with different `points`: Canvas weighs every blank equally",
         "give the parts equal points"),
    Code("M101", "error", "moodle", "a grade Moodle cannot express (e.g. 11 correct options)",
         "change the number of correct options"),
    Code("M102", "error", "moodle", "a `multiple_choice` question without exactly one correct choice",
         "mark exactly one choice correct"),
    Code("M103", "error", "moodle", "an id longer than Moodle's 100-character ID number", "shorten the id"),
    Code("M104", "error", "moodle", "the same id twice in one bank", "give one question a new id"),
    Code("M105", "error", "moodle", "points, answer or tolerance that is not a finite number (or a negative tolerance)",
         "give finite numbers"),
    Code("M106", "error", "moodle",
         "a question without what its type needs (true/false answer, two choices, short answers, pairs), or with a "
         "blank choice, short answer or matching side",
         "complete the question"),
    Code("M107", "error", "moodle",
         "a character XML cannot carry (control characters, NUL, U+FFFE/U+FFFF, a lone surrogate; often a lost "
         "`\\f` of `\\frac`)",
         "remove it (quote the YAML text, or write `\\\\frac`)"),
    Code("M108", "error", "moodle", "a category name that is empty once made plain text", "give the category a name"),
    Code("M130", "error", "moodle",
         "a cloze part Moodle's Cloze syntax cannot hold (no finite answer, fewer than two choices), or text that "
         "reads as an embedded answer (`{1:SA:`)", "fix the part, or put a space after the `{`"),
    Code("M202", "warning", "moodle",
         "math in matching answers: Moodle shows them in a drop-down menu, as plain text, so students see the LaTeX source",
         "write matching answers without math"),
    Code("M203", "warning", "moodle",
         "a matching question with fewer than 2 pairs or 3 answers: it imports, but Moodle's editing form will not save "
         "it until one is added",
         "add a pair or a distractor"),
    Code("M204", "warning", "moodle", "a tag Moodle will change (over 50 characters, or containing `<` `>` `` ` ``)",
         "shorten the tag or remove the characters"),
    Code("M205", "warning", "moodle",
         "a short or matching answer containing `]]>` with only whitespace between `<`, `>`, `&`: Moodle's XML reader "
         "loses that whitespace",
         "reword the answer"),
    Code("M206", "warning", "moodle", "points with more than 7 decimals (Moodle stores 7)", "round the points"),
    Code("M207", "warning", "moodle", "a first-level category named `top`, which Moodle's importer skips",
         "rename the category"),
    Code("M208", "warning", "moodle", "a figure in a Moodle field that holds no files (the bank description)",
         "move the figure into a question"),
    # --- GIFT (writers/gift.py)
    Code("M230", "warning", "moodle",
         "a cloze question worth other points than its parts' sum (Moodle takes the sum)",
         "set the question's maximum mark in the Moodle quiz"),
    Code("G101", "error", "gift",
         "a numerical answer or tolerance that is not a finite number (Moodle's GIFT importer would store it as `*`, "
         "accepting every response), or a negative tolerance",
         "give finite numbers"),
    Code("G104", "error", "gift", "a question without what its type needs (true/false answer, short answers, pairs)",
         "complete the question"),
    Code("G105", "error", "gift",
         "an id Moodle's `[id:…]` cannot carry (blank, control characters, a final backslash)",
         "change the id"),
    Code("G107", "error", "gift",
         "a text with a character a GIFT file cannot carry (control characters, NUL, U+FFFE/U+FFFF, a lone surrogate)",
         "delete it"),
    Code("G200", "warning", "gift", "a question left out of the GIFT file (the message names it and says why)",
         "use the Moodle XML export for it"),
    Code("G201", "warning", "gift", "`points` other than 1 in a bank file (a quiz's own points are not warned about: they are set in the Moodle quiz)",
         "use the Moodle XML export, which keeps points, or set the marks in the Moodle quiz"),
    Code("G203", "warning", "gift",
         "a tag left out (`<`, `>`, `` ` ``, control characters) or changed by Moodle (commas, over 50 characters)",
         "shorten the tag or remove the characters"),
    Code("G207", "warning", "gift", "a figure too large to embed in GIFT; its alt text is shown instead",
         "make the figure smaller, or use the Moodle XML export"),
    Code("G208", "warning", "gift", "`shuffle: false`: GIFT cannot turn shuffling off (Moodle uses the site's default)",
         "use the Moodle XML export, or switch shuffling off in the Moodle quiz"),
)

ALIASES: dict[str, str] = {
    # feedback a target cannot carry: one problem, one code (before issue 14, one per writer)
    "C202": "W201",
    "C203": "W201",
    "M201": "W201",
    "G202": "W201",
    # Moodle question-bank rules both Moodle exports share (writers/moodle_bank.py)
    "G102": "M101",
    "G103": "M102",
    "G106": "M108",
    "G204": "M202",
    "G205": "M203",
    "G206": "M207",
}
"""Codes that were merged into another: `--ignore` still accepts them."""


def lookup(code: str) -> Code | None:
    return CODES.get(ALIASES.get(code, code))


def severity_of(code: str) -> Severity:
    """An unregistered code is an error: a code must be declared to be softened."""
    found = lookup(code)
    return found.severity if found else "error"
