"""`deploy_binary`: a binary as the deployment build makes it.

The deployment build is `-c opt` with Abseil, glog, gflags, c-ares and
libcrypt linked from Debian's static archives
(--//third_party:static_system_libs), whatever
configuration the surrounding build uses. A configuration transition does
that, so `bazel build //...` and `bazel test //...` build the deployable
binaries too, and tests can take them as data.

The rule's output is a copy of the transitioned binary named after the
target, in this package: `$(bazel info bazel-bin)/deploy/rsockd`.
"""

def _deploy_transition_impl(settings, attr):
    return {
        "//command_line_option:compilation_mode": "opt",
        "//third_party:static_system_libs": True,
    }

_deploy_transition = transition(
    implementation = _deploy_transition_impl,
    inputs = [],
    outputs = [
        "//command_line_option:compilation_mode",
        "//third_party:static_system_libs",
    ],
)

def _deploy_binary_impl(ctx):
    # A transitioned attribute is a list (one entry for a 1:1 transition).
    binary = ctx.attr.binary
    if type(binary) == type([]):
        binary = binary[0]
    source = binary[DefaultInfo].files_to_run.executable
    output = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.run_shell(
        inputs = [source],
        outputs = [output],
        command = 'cp -- "$1" "$2" && chmod 0755 "$2"',
        arguments = [source.path, output.path],
        mnemonic = "DeployBinary",
        progress_message = "Copying the deployment build of %s" % ctx.label,
    )
    return [DefaultInfo(
        executable = output,
        files = depset([output]),
        runfiles = ctx.runfiles(files = [output]),
    )]

deploy_binary = rule(
    implementation = _deploy_binary_impl,
    executable = True,
    attrs = {
        "binary": attr.label(
            mandatory = True,
            executable = True,
            cfg = _deploy_transition,
            doc = "The cc_binary to build as it is deployed.",
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
    doc = "A cc_binary built -c opt with static Abseil/glog/gflags.",
)
