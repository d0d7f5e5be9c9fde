"""The names of the six frozen-file tools (docs/frozen_files.md#tools).

Each is a binary built from frozen_tool_main.cc with its own name
(rsockd/tools/BUILD), and each is installed by the deployment build
(deploy/BUILD).
"""

FROZEN_TOOLS = [
    "make_sockdfc",
    "make_socksfc",
    "make_sockdfr",
    "dump_sockdfc",
    "dump_socksfc",
    "dump_sockdfr",
]
