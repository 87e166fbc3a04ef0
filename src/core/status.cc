// SPDX-License-Identifier: Apache-2.0
// The names of the status codes.
#include "core/status.h"

namespace segsync {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kConfig:
      return "configuration error";
    case StatusCode::kAuth:
      return "authentication failed";
    case StatusCode::kNotEntitled:
      return "not entitled";
    case StatusCode::kNotFound:
      return "not found";
    case StatusCode::kRateLimited:
      return "rate limited";
    case StatusCode::kTransient:
      return "transient failure";
    case StatusCode::kInvalid:
      return "rejected request";
    case StatusCode::kParse:
      return "parse error";
    case StatusCode::kIo:
      return "I/O error";
    case StatusCode::kInterrupted:
      return "interrupted";
    case StatusCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

}  // namespace segsync
