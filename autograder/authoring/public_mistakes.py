"""Make the table of digests that lets a student's notebook name a modelled mistake on
a public case (see `checks.fingerprints`): `data/public_mistakes.json`, shipped with
the package.

Run it from the course after changing a model in `solutions/mistakes/` or a public
case: `python -m autograder.authoring.public_mistakes`. A test fails while the shipped
table differs from the one the models give.
"""
from __future__ import annotations

import json

from .. import checks
from ..checks import fingerprints, reference
from ..checks.cases import model_answer


def table(root=None) -> dict:
    """key -> digest, for every public case of every test with a modelled mistake."""
    digests = {}
    for assignment in checks.names():
        mistakes = reference.load(assignment, root).mistakes
        for test in checks.tests_for(assignment) if mistakes else ():
            models = [hint.model for hint in getattr(test, "hints", ()) if hasattr(hint, "model")]
            for case in [case for case in test.cases() if case.public] if models else ():
                for name, fixed in models:
                    digest = fingerprints.fingerprint(model_answer(mistakes, name, fixed, case))
                    if digest is not None:
                        digests[fingerprints.key(name, fixed, case)] = digest
    return dict(sorted(digests.items()))


def write(root=None) -> int:
    """Write the table; returns how many digests it holds."""
    digests = table(root)
    with open(fingerprints.TABLE, "w", encoding="utf-8") as handle:
        json.dump(digests, handle, indent=0)
        handle.write("\n")
    return len(digests)


if __name__ == "__main__":
    print("%d digests written to %s" % (write(), fingerprints.TABLE))
