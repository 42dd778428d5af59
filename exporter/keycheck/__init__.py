"""Recompute every answer key with sympy and compare it with what the author marked.

For each machine-checked question the check block's quantity, values and claims are built
(see `expr.py`), differentiated as written, then the `given` values are applied — after
differentiation, in a fixed order (README, "How answer keys are checked") — and every choice gets a verdict that
must agree with its `correct:` flag. Findings are K1xx diagnostics located at the flag,
answer or expression the author has to edit.

Equality has to be both *sound* (a wrong key must never pass, a right one must never be
called wrong) and *fast* (`simplify` costs ~0.25 s a call). So:

1. structural: sympy's canonical form already makes most equal things identical;
2. exact numbers: after the givens most quantities are rationals — compared exactly;
3. refute numerically: evaluate both sides with mpmath at seeded random real points at
   40 digits; a difference far above the evaluation error (and still there at 80 digits)
   proves them different, and the point is shown to the author;
4. confirm symbolically, only when the numbers agree: expand, cancel (with exp/trig
   rewritten), and `simplify` last — each a proof when it yields 0;
5. otherwise say "cannot decide" (K104): never guess.

Each question runs under a wall-clock bound (SIGALRM inside the process; in the parallel
runner the parent also kills a worker that overstays, which catches C-level hangs the
signal cannot interrupt). A timeout is a K108 finding for that question only.

The stage, one module per concern, in the order a check uses them:

- `bounds.py`: time and memory bounds of one question's check.
- `finding.py`: the exception that ends one question's check with a finding.
- `solve.py`: solving a given for the one symbol it determines.
- `numeric.py`: evaluation at points with mpmath: the cheap half of every decision.
- `decide.py`: three-valued decisions on equality, order and claims: true, false or "cannot decide".
- `show.py`: values as the author reads them in a finding.
- `givens.py`: a check's `given:` values, applied after differentiation in a fixed order.
- `question.py`: one question's check: each choice, numerical answer or true/false claim gets a verdict.
- `pool.py`: checking many questions in worker processes, findings reported in bank order.

exporter/keys.py re-exports the names the rest of qbank calls (`check_questions`,
`check_question`, `decide_equal`, `evaluate`, `show`, …).
"""
