"""What staff do besides grading: release assignments and prove the release gives no
answers away (`release`, `leaks`), the example class (`examples`, `demo`) and the
benchmark against stock nbgrader (`benchmark`)."""
