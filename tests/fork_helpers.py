"""Running a test's function in a forked process, which may change itself for good."""
import json
import os


def in_child(function):
    """function()'s JSON-able answer, computed in a forked process (which may restrict
    itself for good); an exception there is answered as {"error": ...}."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            answer = function()
        except BaseException as error:  # noqa: BLE001
            answer = {"error": "%s: %s" % (type(error).__name__, error)}
        finally:
            try:
                os.write(write_fd, json.dumps(answer).encode())
            finally:
                os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as handle:
        answer = json.loads(handle.read() or b'{"error": "no answer"}')
    os.waitpid(pid, 0)
    return answer
