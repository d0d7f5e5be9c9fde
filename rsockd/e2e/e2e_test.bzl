"""`rsockd_e2e_test`: an end-to-end test of the rsockd binary.

Every test of this package is one source file named after it, runs the real
server from its runfiles and is written with the RsockdTest fixture
(rsockd_test_base.h), GoogleTest, Abseil and the status matchers. The macro
adds all of that, so that a test's entry lists only what is its own:

  rsockd_e2e_test(
      name = "routing_test",  # routing_test.cc
      # danted changes its user and groups, which the sandbox forbids.
      tags = ["no-sandbox"],
      deps = ["//testing:dante_server"],
  )
"""

# What every end-to-end test uses.
_COMMON_DEPS = [
    ":rsockd_test_base",
    "//testing:status_matchers",
    "//third_party:absl",
    "//third_party:gtest_main",
]

def rsockd_e2e_test(
        name,
        deps = [],
        data = [],
        server = "//rsockd",
        tags = [],
        size = "medium"):
    """A cc_test built from `name`.cc that runs `server`.

    Args:
      name: the test; its source file is `name`.cc.
      deps: libraries beyond the fixture, GoogleTest, Abseil and the status
        matchers.
      data: runfiles beyond the server (the tools a test runs).
      server: the server binary: //rsockd, where RsockdProcess finds it, or
        //deploy:rsockd for the test of the deployment build.
      tags: as for cc_test; "no-sandbox" for a test whose processes change
        their user or groups.
      size: as for cc_test.
    """
    native.cc_test(
        name = name,
        size = size,
        srcs = [name + ".cc"],
        data = [server] + data,
        tags = tags,
        deps = _COMMON_DEPS + deps,
    )
