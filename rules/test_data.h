// This file defines, for tests, the files of rules/testdata/
// (rules/testdata/README.md): the worked examples of the docs as the tests
// read them, and the frozen corpus. They are the one copy of that data, so a
// change to an example reaches the parser, rule-set, frozen-file and tool
// tests and the golden files together. A test that reads them depends on
// //rules:test_data, which puts the files into its runfiles.
//
// Example:
//
//   ASSERT_OK_AND_ASSIGN(SockdConf conf,
//                        ParseSockdConf(SockdConfWorkedExample(), "t.conf"));
//
// A file that cannot be read is a test failure (gtest's non-fatal
// ADD_FAILURE), and its text is "". Test-only.

#ifndef RSOCKD_RULES_TEST_DATA_H_
#define RSOCKD_RULES_TEST_DATA_H_

#include <string>

#include "absl/strings/string_view.h"

namespace rsockd::rules {

// The contents of rules/testdata/`name` ("sockd_all_forms.conf",
// "frozen_corpus/sockd.fc").
std::string TestData(absl::string_view name);

// docs/sockd_conf.md#worked-example, the classic test data
// (rules/testdata/sockd.conf): bonnie and clyde denied from 128.12.6/24 with
// a hook (line 1), ylee permitted to 137.12/16 (line 2), telnet denied
// (line 3) and everything else permitted (line 4) from 128.12/16, and the
// #NO_IDENTD and #BAD_ID commands.
std::string SockdConfWorkedExample();

// docs/socks_conf.md#worked-example, the routing file of an rsockd inside
// corp.example (rules/testdata/socks.conf): .lab.corp.example through
// 10.1.1.1:1080 (line 2), .corp.example (line 4) and 10/8 (line 5) direct,
// everything else through fw1.corp.example then fw2.corp.example (line 7).
std::string SocksConfWorkedExample();

}  // namespace rsockd::rules

#endif  // RSOCKD_RULES_TEST_DATA_H_
