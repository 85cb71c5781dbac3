// Every test target finds fixtures through the one shared helper.
@_exported import TestSupport
