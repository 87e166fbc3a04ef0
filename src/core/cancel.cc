// SPDX-License-Identifier: Apache-2.0
// The process-wide stop flag, lock-free so a signal handler may set it.
#include "core/cancel.h"

#include <atomic>

namespace segsync {
namespace {

std::atomic<bool> g_cancel{false};
std::atomic<int> g_signal{0};
static_assert(std::atomic<bool>::is_always_lock_free, "the signal handler needs a lock-free flag");

}  // namespace

void RequestCancel() { g_cancel.store(true, std::memory_order_relaxed); }
bool CancelRequested() { return g_cancel.load(std::memory_order_relaxed); }
void ResetCancel() {
  g_signal.store(0, std::memory_order_relaxed);
  g_cancel.store(false, std::memory_order_relaxed);
}
void RequestCancelBySignal(int signal) {
  g_signal.store(signal, std::memory_order_relaxed);
  g_cancel.store(true, std::memory_order_relaxed);
}
int CancelSignal() { return g_signal.load(std::memory_order_relaxed); }

}  // namespace segsync
