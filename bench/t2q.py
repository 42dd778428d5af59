"""text2qti over every quiz file of a folder, in one process (runs in bench/.venv).

This is what `text2qti FILE` does for each file (text2qti/cmdline.py: read the file,
`Quiz(text, config=…)`, `QTI(quiz).save(…)`), minus one interpreter start per file, so
text2qti is timed on its own work, as qbank is: generous to text2qti.

Configuration: text2qti's defaults (`Config()` without `.load()`), so the benchmark neither
reads nor writes ~/.text2qti.bespon. With those defaults LaTeX becomes Canvas equation-image
<img> tags whose URL is built from the LaTeX text: no network and no Pandoc (Pandoc is
only needed for `--pandoc-mathml` and for solutions in PDF/HTML, neither used here).

Usage: t2q.py QUIZ_DIR OUT_DIR   prints {"files": …, "questions": …, "seconds": …}
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from text2qti.config import Config
from text2qti.qti import QTI
from text2qti.quiz import Question, Quiz


def main(argv: list[str]) -> int:
    src, out = Path(argv[0]), Path(argv[1])
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    files = questions = 0
    for path in sorted(src.glob("*.txt")):
        quiz = Quiz(path.read_text(encoding="utf-8-sig"), config=Config(), source_name=path.as_posix())
        QTI(quiz).save(out / f"{path.stem}.zip")
        files += 1
        questions += sum(isinstance(x, Question) for x in quiz.questions_and_delims)
    print(json.dumps({"files": files, "questions": questions, "seconds": time.perf_counter() - start}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
