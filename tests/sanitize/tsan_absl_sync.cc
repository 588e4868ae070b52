// ThreadSanitizer annotations for Debian's Abseil synchronization library.
//
// Why: Debian's libabsl_synchronization.so is not built with -fsanitize=thread,
// so absl::Mutex, absl::CondVar and absl::Notification lock with futexes and
// atomics that TSan cannot see; every access that one of them orders would be
// reported as a race (tokend, gRPC and the tests all lock with absl::Mutex).
// Abseil built with TSan annotates these calls itself; this file does the same
// from outside. It is linked into every executable of a TSan build
// (cmake/sanitize.cmake) and defines the public members of those classes: the
// dynamic linker binds every call to them, also those made inside Abseil and
// gRPC (which call them through the PLT), to these definitions, which tell TSan
// what the call does and run the library's own code found with
// dlsym(RTLD_NEXT).
//
// The annotations follow what Abseil's own TSan build does (mutex.cc): lock and
// unlock calls are __tsan_mutex_pre/post_* pairs, and memory accesses inside a
// call (a Condition evaluated while the library holds the lock) are ignored.
// A wait that releases the mutex while it blocks (Await, CondVar::Wait) is an
// unlock followed by a lock whose acquisition spans the wait. Await and
// CondVar::Wait are annotated as if the mutex were held exclusively; tokend
// never waits on a reader-held mutex.

#include <dlfcn.h>
#include <sanitizer/tsan_interface.h>

#include <cstdio>
#include <cstdlib>

#include "absl/base/options.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

// The mangled names below spell the inline namespace of Debian's build.
#define TOKEND_ABSL_NS "7debian3"

namespace {

// The library's definition of a member, the next one after this executable's.
template <typename Fn>
Fn Real(const char* mangled) {
  void* sym = dlsym(RTLD_NEXT, mangled);
  if (sym == nullptr) {
    std::fprintf(stderr, "tsan_absl_sync: %s not found in Abseil (%s)\n", mangled, dlerror());
    std::abort();
  }
  return reinterpret_cast<Fn>(sym);
}

#define TOKEND_REAL(type, name) static const auto real = Real<type>("_ZN4absl" TOKEND_ABSL_NS name)
#define TOKEND_REAL_CONST(type, name) \
  static const auto real = Real<type>("_ZNK4absl" TOKEND_ABSL_NS name)

// Some of these members call others through the PLT (LockWhenWithTimeout
// calls LockWhenWithDeadline, Notify calls Lock and Unlock), and those calls
// come back here too: only the outermost call on a thread is annotated, or
// one lock would count as two.
thread_local int depth = 0;

struct Outermost {
  Outermost() : outermost(depth++ == 0) {}
  ~Outermost() { --depth; }
  Outermost(const Outermost&) = delete;
  Outermost& operator=(const Outermost&) = delete;
  const bool outermost;
};

constexpr unsigned kRead = __tsan_mutex_read_lock;
constexpr unsigned kTry = __tsan_mutex_try_lock;

// Around a library call that takes the lock; `ok` false when it did not.
void PreLock(void* mu, unsigned flags) { __tsan_mutex_pre_lock(mu, flags); }
void PostLock(void* mu, unsigned flags, bool ok = true) {
  __tsan_mutex_post_lock(mu, ok ? flags : flags | __tsan_mutex_try_lock_failed, 0);
}

// The mutex is released for the wait and held again when `wait` returns.
template <typename F>
auto Waiting(void* mu, F wait) {
  __tsan_mutex_pre_unlock(mu, 0);
  __tsan_mutex_post_unlock(mu, 0);
  __tsan_mutex_pre_lock(mu, 0);
  auto result = wait();
  __tsan_mutex_post_lock(mu, 0, 0);
  return result;
}

// Notification::HasBeenNotified() is inline: it reads this member with an
// acquire load in instrumented code, which must see Notify()'s release.
void* NotifiedFlag(const absl::Notification* n) {
  static_assert(sizeof(absl::Notification) == 2 * sizeof(absl::Mutex),
                "absl::Notification is {Mutex mutex_; std::atomic<bool> notified_yet_;}");
  return const_cast<char*>(reinterpret_cast<const char*>(n)) + sizeof(absl::Mutex);
}

}  // namespace

namespace absl {
ABSL_NAMESPACE_BEGIN

Mutex::~Mutex() {
  TOKEND_REAL(void (*)(Mutex*), "5MutexD2Ev");
  Outermost scope;
  if (scope.outermost) __tsan_mutex_destroy(this, 0);
  real(this);
}

void Mutex::Lock() {
  TOKEND_REAL(void (*)(Mutex*), "5Mutex4LockEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  PreLock(this, 0);
  real(this);
  PostLock(this, 0);
}

void Mutex::ReaderLock() {
  TOKEND_REAL(void (*)(Mutex*), "5Mutex10ReaderLockEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  PreLock(this, kRead);
  real(this);
  PostLock(this, kRead);
}

bool Mutex::TryLock() {
  TOKEND_REAL(bool (*)(Mutex*), "5Mutex7TryLockEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  PreLock(this, kTry);
  bool ok = real(this);
  PostLock(this, kTry, ok);
  return ok;
}

bool Mutex::ReaderTryLock() {
  TOKEND_REAL(bool (*)(Mutex*), "5Mutex13ReaderTryLockEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  PreLock(this, kRead | kTry);
  bool ok = real(this);
  PostLock(this, kRead | kTry, ok);
  return ok;
}

void Mutex::Unlock() {
  TOKEND_REAL(void (*)(Mutex*), "5Mutex6UnlockEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  __tsan_mutex_pre_unlock(this, 0);
  real(this);
  __tsan_mutex_post_unlock(this, 0);
}

void Mutex::ReaderUnlock() {
  TOKEND_REAL(void (*)(Mutex*), "5Mutex12ReaderUnlockEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  __tsan_mutex_pre_unlock(this, kRead);
  real(this);
  __tsan_mutex_post_unlock(this, kRead);
}

void Mutex::LockWhen(const Condition& cond) {
  TOKEND_REAL(void (*)(Mutex*, const Condition&), "5Mutex8LockWhenERKNS0_9ConditionE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond);
  PreLock(this, 0);
  real(this, cond);
  PostLock(this, 0);
}

void Mutex::ReaderLockWhen(const Condition& cond) {
  TOKEND_REAL(void (*)(Mutex*, const Condition&), "5Mutex14ReaderLockWhenERKNS0_9ConditionE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond);
  PreLock(this, kRead);
  real(this, cond);
  PostLock(this, kRead);
}

// The *WithTimeout/*WithDeadline forms hold the lock on return whatever they
// answer.
bool Mutex::LockWhenWithTimeout(const Condition& cond, Duration timeout) {
  TOKEND_REAL(bool (*)(Mutex*, const Condition&, Duration),
              "5Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond, timeout);
  PreLock(this, 0);
  bool ok = real(this, cond, timeout);
  PostLock(this, 0);
  return ok;
}

bool Mutex::LockWhenWithDeadline(const Condition& cond, Time deadline) {
  TOKEND_REAL(bool (*)(Mutex*, const Condition&, Time),
              "5Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond, deadline);
  PreLock(this, 0);
  bool ok = real(this, cond, deadline);
  PostLock(this, 0);
  return ok;
}

bool Mutex::ReaderLockWhenWithTimeout(const Condition& cond, Duration timeout) {
  TOKEND_REAL(bool (*)(Mutex*, const Condition&, Duration),
              "5Mutex25ReaderLockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond, timeout);
  PreLock(this, kRead);
  bool ok = real(this, cond, timeout);
  PostLock(this, kRead);
  return ok;
}

bool Mutex::ReaderLockWhenWithDeadline(const Condition& cond, Time deadline) {
  TOKEND_REAL(bool (*)(Mutex*, const Condition&, Time),
              "5Mutex26ReaderLockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond, deadline);
  PreLock(this, kRead);
  bool ok = real(this, cond, deadline);
  PostLock(this, kRead);
  return ok;
}

void Mutex::Await(const Condition& cond) {
  TOKEND_REAL(void (*)(Mutex*, const Condition&), "5Mutex5AwaitERKNS0_9ConditionE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond);
  Waiting(this, [&] {
    real(this, cond);
    return true;
  });
}

bool Mutex::AwaitWithTimeout(const Condition& cond, Duration timeout) {
  TOKEND_REAL(bool (*)(Mutex*, const Condition&, Duration),
              "5Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond, timeout);
  return Waiting(this, [&] { return real(this, cond, timeout); });
}

bool Mutex::AwaitWithDeadline(const Condition& cond, Time deadline) {
  TOKEND_REAL(bool (*)(Mutex*, const Condition&, Time),
              "5Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  Outermost scope;
  if (!scope.outermost) return real(this, cond, deadline);
  return Waiting(this, [&] { return real(this, cond, deadline); });
}

void CondVar::Wait(Mutex* mu) {
  TOKEND_REAL(void (*)(CondVar*, Mutex*), "7CondVar4WaitEPNS0_5MutexE");
  Outermost scope;
  if (!scope.outermost) return real(this, mu);
  Waiting(mu, [&] {
    real(this, mu);
    return true;
  });
}

bool CondVar::WaitWithTimeout(Mutex* mu, Duration timeout) {
  TOKEND_REAL(bool (*)(CondVar*, Mutex*, Duration),
              "7CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  Outermost scope;
  if (!scope.outermost) return real(this, mu, timeout);
  return Waiting(mu, [&] { return real(this, mu, timeout); });
}

bool CondVar::WaitWithDeadline(Mutex* mu, Time deadline) {
  TOKEND_REAL(bool (*)(CondVar*, Mutex*, Time),
              "7CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  Outermost scope;
  if (!scope.outermost) return real(this, mu, deadline);
  return Waiting(mu, [&] { return real(this, mu, deadline); });
}

// Notify() releases, and every way of learning that it happened acquires:
// WaitForNotification*() may return on the flag alone, without the mutex.
void Notification::Notify() {
  TOKEND_REAL(void (*)(Notification*), "12Notification6NotifyEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  __tsan_release(this);
  __tsan_release(NotifiedFlag(this));
  real(this);
}

void Notification::WaitForNotification() const {
  TOKEND_REAL_CONST(void (*)(const Notification*), "12Notification19WaitForNotificationEv");
  Outermost scope;
  if (!scope.outermost) return real(this);
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(Duration timeout) const {
  TOKEND_REAL_CONST(bool (*)(const Notification*, Duration),
                    "12Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  Outermost scope;
  if (!scope.outermost) return real(this, timeout);
  bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(Time deadline) const {
  TOKEND_REAL_CONST(bool (*)(const Notification*, Time),
                    "12Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  Outermost scope;
  if (!scope.outermost) return real(this, deadline);
  bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
