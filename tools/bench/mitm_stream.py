"""mitmproxy addon for recorder-bench: stream every body chunk by chunk instead of buffering it.

    mitmdump --mode reverse:http://127.0.0.1:PORT -s tools/bench/mitm_stream.py …

`stream_large_bodies` streams only bodies mitmproxy knows to be large; a chunked SSE response has
no length, so the flag alone is not a guarantee. Setting `stream = True` at the headers hooks is:
mitmproxy then forwards each chunk as it arrives (and keeps no copy of the body).
"""


def requestheaders(flow):
    flow.request.stream = True


def responseheaders(flow):
    flow.response.stream = True
