"""mitmproxy addon: "committed, then the connection closed without a byte", in front of any server.

An independent reproduction of the sandbox's `close_after_commit` fault, for checking a client
against a server we did not write (or against the sandbox itself, to confirm its fault). For a
share of the requests whose method is not safe (anything but GET, HEAD, OPTIONS), the request is
passed to the server unchanged; once the server has answered in full (so the write is committed),
the flow is killed: the client's connection is closed and not one byte of the answer reaches it.
On a reused keep-alive connection this is what makes libcurl send the request again by itself.

Run it through Scripts/mitm-close-after-commit.sh (which picks a free loopback port), or by hand:

    mitmdump --mode reverse:http://127.0.0.1:8000 --listen-host 127.0.0.1 --listen-port 8080 \
        -s Scripts/mitm-close-after-commit.py --set close_share=0.3 --set close_seed=7

Options (--set NAME=VALUE):
    close_share  share (0..1) of unsafe requests whose answer is withheld (default 0.3)
    close_seed   seed of the draws: the same seed kills the same positions among the unsafe
                 requests, in the order the proxy sees their answers (default 0)
Each killed request is logged ("close-after-commit: killed POST /insert_payments_external
(server answered 200) [3 of 10]"), and the totals when the proxy stops.
"""

import random

from mitmproxy import ctx, http

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class CloseAfterCommit:
    def __init__(self) -> None:
        self.rng = random.Random(0)
        self.share = 0.3
        self.unsafe = 0
        self.killed = 0

    def load(self, loader) -> None:
        # Text, not float: mitmproxy's --set parses no float options.
        loader.add_option("close_share", str, "0.3",
                          "Share (0..1) of non-GET requests answered by the server whose answer is withheld.")
        loader.add_option("close_seed", int, 0, "Seed of the kill draws.")

    def configure(self, updated) -> None:
        if "close_share" in updated:
            try:
                self.share = float(ctx.options.close_share)
            except ValueError:
                raise ValueError(f"close_share must be a number between 0 and 1, not {ctx.options.close_share!r}")
            if not 0.0 <= self.share <= 1.0:
                raise ValueError(f"close_share must be between 0 and 1, not {self.share}")
        if "close_seed" in updated:
            self.rng = random.Random(ctx.options.close_seed)

    def response(self, flow: http.HTTPFlow) -> None:
        # Called once the server's whole answer is in the proxy, before any of it is sent on.
        if flow.request.method.upper() in SAFE_METHODS:
            return
        self.unsafe += 1
        if self.rng.random() >= self.share:
            return
        self.killed += 1
        ctx.log.warn(f"close-after-commit: killed {flow.request.method} {flow.request.path} "
                     f"(server answered {flow.response.status_code}) [{self.killed} of {self.unsafe}]")
        flow.kill()

    def done(self) -> None:
        ctx.log.warn(f"close-after-commit: {self.killed} of {self.unsafe} unsafe requests killed after the server answered")


addons = [CloseAfterCommit()]
