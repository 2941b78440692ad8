"""moto's DynamoDB server answering one request at a time, for the tests
(`HRMS_TEST_MOTO`, set by tests/run; the same arguments as `moto_server`).

moto's `moto_server` answers each request on a thread of its own, and its
DynamoDB is not thread-safe: a transaction deep-copies the tables and, when
cancelled, puts the copy back, undoing what another request committed
meanwhile, and two transactions conditioned on one item's version can both
pass. DynamoDB serializes them. A test of two writers at once (the
conformance suites' "one wins") then saw both win, once in a whole test run.
Served one at a time, moto's transactions are atomic to one another; the
stores' own read-check-write sequences still interleave across requests.
"""

import argparse
import signal
import sys

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import run_simple


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1", help="the address to listen on")
    parser.add_argument("-p", "--port", type=int, default=5000, help="the port to listen on")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = DomainDispatcherApplication(create_backend_app)
    run_simple(args.host, args.port, app, threaded=False, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
