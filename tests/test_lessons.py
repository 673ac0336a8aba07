"""The lesson notebooks in course/: they run top to bottom, and their prose tells the truth.

How a lesson states a result (the rules these tests enforce)
-------------------------------------------------------------
* **Claims.** A markdown line that starts with ``**Expected:**`` states what the code cell just above
  it prints. Every `inline code` span on that line must appear in that cell's output (printed
  text or the text form of a displayed result, ANSI colours removed, runs of white space
  compared as a single space), as a whole: `0.9` is not found in "0.99". A test fails if the
  code printed something else.
* **Numbers in prose.** Any other decimal number in the prose (markdown outside `code` spans,
  and comments in code cells) must either occur in one of the notebook's claims or be a number
  written in its code (an input such as a learning rate). A wrong value quoted on purpose, to
  correct it, is struck through: ``~~8.84~~``.
* **Exercises.** Cells tagged ``raises-exception`` are "your turn" skeletons with ``____``
  blanks (four underscores: IPython defines ``___`` as an output-history variable): they must
  stop with ``NameError`` on a blank, and no other cell may fail.
* **Clean.** No cell writes to stderr; notebooks are committed without outputs.
* ``REQUIRED_CLAIMS`` lists values the course depends on (including the corrections of the
  original lesson text); each must stay among the notebook's checked claims.

Each notebook is its own test case, so ``python -m pytest -n 2 tests/test_lessons.py``
spreads them over two workers.
"""
from __future__ import annotations

import io
import re
import time
import tokenize
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
COURSE = REPO / "course"
NOTEBOOKS = sorted(COURSE.glob("*.ipynb"))
IDS = [path.stem for path in NOTEBOOKS]
SLOW = {"07_keras_dropout", "08_common_errors"}  # lessons that run for over ten seconds
CELL_TIMEOUT = 120          # seconds per cell
KERNEL = "python3"
BLANK = "____"             # the blank in exercise cells

# Values that must stay claimed, and so stay checked against what the code prints: the
# numbers the assignments and the grader refer to, and the corrections of the original
# lesson text (the mini-challenge reaches 9.88, not 8.84; [0.1, 0.9] sums to exactly 1.0,
# so its label under "sum > 1" is 0).
REQUIRED_CLAIMS = {
    "01_forward_pass": [
        "neuron output = 0.80",                              # ps1 neuron example
        "output neuron: z = -0.178 -> sigmoid -> 0.4556",
        "[0.5, 0.9] -> 0.4556",                              # ps1 forward_pass example
    ],
    "02_gradient_descent": [
        "gradient: 4.0",
        "new x: 4.6",
        "final x after 20 steps: 9.88",
    ],
    "03_loss_functions": [
        "errors: [-0.2, 0.3, -0.5]",
        "MSE: 0.1267",
        "MAE: 0.3000",
        "Huber: 0.0525",
    ],
    "04_epochs_batches_learning_rate": [
        "updates per epoch: 32",
        "x = nan",
    ],
    "05_optimisers": [
        "1 0.6000 0.6000 0.1000",                            # first step of SGD, Momentum, Adam
        "SGD diverges for learning rates above 0.01",
    ],
    "06_backpropagation": [
        "labels from the rule: [0 1 0 1 0 1 0 1]",
        "0.1 + 0.9 > 1: False",
        "gradients match: True",
    ],
    "07_keras_dropout": [
        "Total params: 193",
        "total parameters: 193",
        "prediction: unchanged: True",
    ],
    "08_common_errors": [
        "loss became nan: True",
    ],
}

EXPECTED_LINE = re.compile(r"^\s*(?:>\s*)?\*\*Expected:\*\*")
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
SPACES = re.compile(r"\s+")
INLINE_CODE = re.compile(r"`([^`\n]+)`")
FENCED = re.compile(r"^```.*?^```", re.S | re.M)
STRUCK = re.compile(r"~~.*?~~", re.S)
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+")


def _norm(text: str) -> str:
    return SPACES.sub(" ", ANSI.sub("", text)).strip()


def printed(claim: str, text: str) -> bool:
    """Whether `claim` occurs in `text` as a whole: "0.9" is not found in "0.99" or "-0.9"."""
    claim = _norm(claim)
    pattern = re.escape(claim)
    if claim[0].isdigit():
        pattern = r"(?<![\w.-])" + pattern
    elif claim[0].isalnum():
        pattern = r"(?<!\w)" + pattern
    if claim[-1].isalnum():
        pattern += r"(?!\w|\.\d)"
    return re.search(pattern, text) is not None


def _load(path: Path):
    return nbformat.read(str(path), as_version=4)


# --- reading a notebook's claims and prose --------------------------------------------------

def claims_of(nb):
    """[(index of the code cell the claim is about, claim text)] in notebook order."""
    found, last_code = [], None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            last_code = index
        elif cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if EXPECTED_LINE.match(line):
                    spans = INLINE_CODE.findall(line)
                    assert spans, "cell %d: an Expected line without `claims`: %r" % (index, line)
                    assert last_code is not None, "cell %d: a claim with no code cell above" % index
                    found.extend((last_code, span) for span in spans)
    return found


def _code_parts(source: str):
    """(numbers written in the code, comments) of one code cell."""
    numbers, comments = set(), []
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO("\n".join(lines) + "\n").readline))
    except (tokenize.TokenError, SyntaxError):  # pragma: no cover - a broken cell fails elsewhere
        return numbers, comments
    for token in tokens:
        if token.type == tokenize.NUMBER:
            numbers.add(token.string)
        elif token.type == tokenize.COMMENT:
            comments.append(token.string)
    return numbers, comments


def unbacked_numbers(nb):
    """Decimal numbers in the prose that are neither claimed nor written in the code."""
    allowed = set()
    for _, claim in claims_of(nb):
        allowed.update(DECIMAL.findall(claim))
    prose = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            numbers, comments = _code_parts(cell.source)
            allowed |= numbers
            prose.extend((index, comment) for comment in comments)
        elif cell.cell_type == "markdown":
            text = STRUCK.sub(" ", INLINE_CODE.sub(" ", FENCED.sub(" ", cell.source)))
            prose.append((index, text))
    return [(index, number) for index, text in prose
            for number in DECIMAL.findall(text) if number not in allowed]


# --- running a notebook ------------------------------------------------------------------

def execute(path: Path):
    from nbclient import NotebookClient

    nb = _load(path)
    client = NotebookClient(nb, kernel_name=KERNEL, timeout=CELL_TIMEOUT,
                            resources={"metadata": {"path": str(COURSE)}})
    client.execute()
    return nb


def output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.output_type == "stream" and out.name == "stdout":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    return _norm("\n".join(parts))


# --- tests -------------------------------------------------------------------------------

def test_there_are_nine_lessons():
    assert [p.name for p in NOTEBOOKS] == [
        "01_forward_pass.ipynb", "02_gradient_descent.ipynb", "03_loss_functions.ipynb",
        "04_epochs_batches_learning_rate.ipynb", "05_optimisers.ipynb",
        "06_backpropagation.ipynb", "07_keras_dropout.ipynb", "08_common_errors.ipynb",
        "09_quick_reference_faq.ipynb"]


def test_readme_lists_every_lesson():
    readme = (COURSE / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in NOTEBOOKS if p.name not in readme]
    assert not missing, "course/README.md does not mention %s" % missing


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_committed_without_outputs(path):
    nb = _load(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == KERNEL
    dirty = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
             and (cell.outputs or cell.execution_count is not None or "execution" in cell.metadata)]
    assert not dirty, "%s: clear the outputs of cells %s before committing" % (path.name, dirty)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_prose_numbers_are_backed(path):
    nb = _load(path)
    bad = unbacked_numbers(nb)
    assert not bad, ("%s: decimal numbers in the prose that no claim checks and the code does "
                     "not contain (cell, number): %s" % (path.name, bad))


@pytest.mark.parametrize("name", sorted(REQUIRED_CLAIMS))
def test_required_claims_are_stated(name):
    claims = [claim for _, claim in claims_of(_load(COURSE / (name + ".ipynb")))]
    missing = [want for want in REQUIRED_CLAIMS[name] if not any(want in c for c in claims)]
    assert not missing, "%s: no **Expected:** claim contains %s" % (name, missing)


@pytest.mark.parametrize("path", [pytest.param(path, id=path.stem,
                                               marks=pytest.mark.slow if path.stem in SLOW else ())
                                  for path in NOTEBOOKS])
def test_lesson_runs_and_its_claims_hold(path):
    started = time.monotonic()
    nb = execute(path)
    elapsed = time.monotonic() - started
    problems = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                problems.append("cell %d wrote to stderr: %r" % (index, out.text[:300]))
        errors = [out for out in cell.outputs if out.output_type == "error"]
        if "raises-exception" in cell.metadata.get("tags", []):
            if not (errors and errors[0].ename == "NameError"
                    and "'%s'" % BLANK in errors[0].evalue):
                problems.append("cell %d is an exercise: it should stop with NameError on a %s "
                                "blank, got %s" % (index, BLANK, [(e.ename, e.evalue) for e in errors]))
    claims = claims_of(nb)
    for index, claim in claims:
        text = output_text(nb.cells[index])
        if not printed(claim, text):
            problems.append("cell %d should print %r; it printed:\n%s" % (index, claim, text[:2000]))
    assert not problems, "%s (ran in %.1f s):\n%s" % (path.name, elapsed, "\n".join(problems))
