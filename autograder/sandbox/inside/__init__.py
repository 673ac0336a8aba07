"""What runs beside student code: the warm fork server, the processes of one run,
their isolation and the request handlers. Nothing here may import the grader's side
but the wire (see `autograder.sandbox`)."""
