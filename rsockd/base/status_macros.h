// Macros for early return on error, in the style of Sandboxed API's
// util/status_macros.h, prefixed so that they cannot clash with a library's
// own RETURN_IF_ERROR:
//
//   RSOCKD_RETURN_IF_ERROR(DoThing());
//   RSOCKD_ASSIGN_OR_RETURN(Socket s, Connect(address, deadline));

#ifndef RSOCKD_RSOCKD_BASE_STATUS_MACROS_H_
#define RSOCKD_RSOCKD_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/base/optimization.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define RSOCKD_RETURN_IF_ERROR(expr)                \
  do {                                              \
    if (absl::Status rsockd_status_ = (expr);       \
        ABSL_PREDICT_FALSE(!rsockd_status_.ok())) { \
      return rsockd_status_;                        \
    }                                               \
  } while (0)

#define RSOCKD_CONCAT_INNER_(a, b) a##b
#define RSOCKD_CONCAT_(a, b) RSOCKD_CONCAT_INNER_(a, b)

#define RSOCKD_ASSIGN_OR_RETURN(lhs, expr)                                  \
  RSOCKD_ASSIGN_OR_RETURN_IMPL_(RSOCKD_CONCAT_(rsockd_statusor_, __LINE__), \
                                lhs, expr)

#define RSOCKD_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, expr) \
  auto statusor = (expr);                                  \
  if (ABSL_PREDICT_FALSE(!statusor.ok())) {                \
    return std::move(statusor).status();                   \
  }                                                        \
  lhs = *std::move(statusor)

#endif  // RSOCKD_RSOCKD_BASE_STATUS_MACROS_H_
