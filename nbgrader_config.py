"""nbgrader configuration: this repository is the course root, `assignments/` its source."""
import os

c = get_config()  # noqa: F821 (provided by nbgrader)

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.source_directory = "assignments"
c.CourseDirectory.course_id = "dl-fundamentals"

# Kernels started by nbgrader inherit this environment: quiet TensorFlow's C++ logging
# (nbgrader scores any stderr in a test cell as 0) and tell the hidden tests where the
# reference solutions live.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ["DLCOURSE_ROOT"] = COURSE_ROOT

# Training a small Keras model takes a few seconds; leave room on a slow machine.
c.Execute.timeout = 300

# A second line of defence against C++ log lines on stderr.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"(?m)^(WARNING: All log messages before absl::InitializeLog|[IWEF]\d{4} [\d:.]+ +\d+ \S+:\d+\])"

# A test cell a student deleted is put back from the source and graded (an edited one
# is always overwritten from the source).
c.OverwriteCells.add_missing_cells = True
