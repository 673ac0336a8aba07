"""The benchmark runs end to end at a tiny size, so its figures can be trusted to
come from a working comparison (the real figures are in the README)."""
import pytest

from autograder.authoring.benchmark import run_benchmark
from autograder.course import Course

from course_helpers import REPO


@pytest.mark.slow
def test_the_benchmark_grades_with_both_and_they_agree(tmp_path):
    lines = []
    figures, tiers = run_benchmark(Course.at(REPO), ["ps1_forward"], copies=1, workers=2, trivial=1,
                                   keep=str(tmp_path / "bench"), out=lines.append, tier_children=2)
    figure = figures["ps1_forward"]
    assert figure["submissions"] == 3 and figure["mismatches"] == []
    assert figure["nbgrader_s"] > 0 and figure["ours_s"] > 0 and figure["overhead_median_s"] > 0
    assert figure["zygote_mb"] > 10 and figure["child_peak_mb"] > 0
    assert any(line.startswith("total: 3 submissions") for line in lines), lines
    # Each tier this host gives is timed (the `none` tier always is), or says why not.
    assert all(len(medians) == 3 and min(medians) > 0 for medians in tiers.values()) and "none" in tiers
    assert all(any(line.strip().startswith(tier) for line in lines) for tier in ("root", "userns", "landlock"))
