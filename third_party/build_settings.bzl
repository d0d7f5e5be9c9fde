"""A boolean build setting (`--//third_party:static_system_libs`).

Bazel 4 has no bool_flag without bazel_skylib, which is not available
offline; this is the few lines of it rsockd needs. config_setting reads the
value from the configuration, so the rule provides nothing.
"""

def _bool_flag_impl(ctx):
    return []

bool_flag = rule(
    implementation = _bool_flag_impl,
    build_setting = config.bool(flag = True),
)
