"""gunicorn's settings: threads per worker, and bounded waits on slow, silent or idle clients."""

import os

worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("WEB_THREADS", "4"))
# A worker that has not reported for this long is restarted.
timeout = 30
graceful_timeout = 30
# An idle kept-alive connection is closed after this long.
keepalive = 5
# Request line and headers stay small: the API needs nothing larger.
limit_request_line = 4094
limit_request_fields = 64
limit_request_field_size = 8190
# No control socket: several servers on one machine would share its default path.
control_socket_disable = True
accesslog = "-"
