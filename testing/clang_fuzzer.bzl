"""clang_fuzzer: a libFuzzer binary built with the system clang, whatever
C++ toolchain the rest of the build uses.

libFuzzer needs clang (`-fsanitize=fuzzer`), and coverage instrumentation of
the code under test, not only of the fuzz target: every source file of the
main repository that the target depends on is compiled again here with
`-fsanitize=fuzzer-no-link,address`. So the fuzzer builds and runs in the
default gcc build as well as under --config=clang, and `bazel test //...`
can include a real, bounded libFuzzer run (testing/fuzz_test.sh, used by
//rules:frozen_fuzz_test and //net:socks5_fuzz_test).

  clang_fuzzer(
      name = "frozen_fuzzer",
      deps = [":frozen_fuzz_target"],  # defines LLVMFuzzerTestOneInput
  )

Limits: sources are compiled with the main repository root as include path
and no per-library copts or defines (the repository uses none in the
libraries a fuzz target needs); system libraries come in through the
`linkopts` of their cc_library wrappers (third_party/system.BUILD), linked
as they are, without instrumentation.
"""

_CLANG = "/usr/bin/clang++"

_COPTS = [
    "-std=c++20",
    "-O1",
    "-g",
    "-fno-omit-frame-pointer",
    "-fsanitize=fuzzer-no-link,address",
    "-Wno-unused-command-line-argument",
]

_FuzzSourcesInfo = provider(
    doc = "The C++ sources and headers of the main repository below a target.",
    fields = {
        "sources": "depset of .cc files",
        "headers": "depset of header files",
    },
)

def _collect_sources_impl(target, ctx):
    sources = []
    headers = []

    # Only the main repository's code is ours to instrument; external
    # repositories here are system libraries that carry only link options.
    if ctx.label.workspace_name == "":
        for f in getattr(ctx.rule.files, "srcs", []):
            if f.extension == "cc":
                sources.append(f)
            else:
                headers.append(f)
        headers.extend(getattr(ctx.rule.files, "hdrs", []))
    deps = [d for d in getattr(ctx.rule.attr, "deps", []) if _FuzzSourcesInfo in d]
    return [_FuzzSourcesInfo(
        sources = depset(sources, transitive = [d[_FuzzSourcesInfo].sources for d in deps]),
        headers = depset(headers, transitive = [d[_FuzzSourcesInfo].headers for d in deps]),
    )]

_collect_sources = aspect(
    implementation = _collect_sources_impl,
    attr_aspects = ["deps"],
)

def _clang_fuzzer_impl(ctx):
    sources = depset(transitive = [d[_FuzzSourcesInfo].sources for d in ctx.attr.deps])
    headers = depset(transitive = [d[_FuzzSourcesInfo].headers for d in ctx.attr.deps])

    objects = []
    for source in sources.to_list():
        obj = ctx.actions.declare_file("_{}_objs/{}.o".format(ctx.label.name, source.short_path))
        ctx.actions.run(
            executable = _CLANG,
            arguments = _COPTS + ["-I.", "-c", source.path, "-o", obj.path],
            inputs = depset([source], transitive = [headers]),
            outputs = [obj],
            mnemonic = "ClangFuzzerCompile",
            progress_message = "Compiling {} for fuzzing".format(source.short_path),
            use_default_shell_env = True,
        )
        objects.append(obj)

    # The system libraries' link options, in dependency order, once each.
    link_flags = []
    for dep in ctx.attr.deps:
        for linker_input in dep[CcInfo].linking_context.linker_inputs.to_list():
            for flag in linker_input.user_link_flags:
                if flag not in link_flags:
                    link_flags.append(flag)

    binary = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.run(
        executable = _CLANG,
        arguments = ["-fsanitize=fuzzer,address", "-o", binary.path] +
                    [o.path for o in objects] + link_flags,
        inputs = objects,
        outputs = [binary],
        mnemonic = "ClangFuzzerLink",
        progress_message = "Linking fuzzer {}".format(ctx.label),
        use_default_shell_env = True,
    )
    return [DefaultInfo(executable = binary, files = depset([binary]))]

clang_fuzzer = rule(
    implementation = _clang_fuzzer_impl,
    attrs = {
        "deps": attr.label_list(
            providers = [CcInfo],
            aspects = [_collect_sources],
            doc = "cc_library targets; one of them defines LLVMFuzzerTestOneInput.",
        ),
    },
    executable = True,
    doc = "A libFuzzer binary (clang, AddressSanitizer) of the given libraries.",
)
