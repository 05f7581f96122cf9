"""The X-Ray provider. Segments, summaries and traces are served by moto's X-Ray backend
through the dispatch table; operations get a handler here when moto's is missing or wrong."""


class XRayProvider:
    service = "xray"
