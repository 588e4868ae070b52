#include "common/work_queue.h"

#include <atomic>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace tokend::common {
namespace {

TEST(WorkQueue, OneWorkerRunsTasksInTheOrderTheyWereSubmitted) {
  absl::Mutex mu;
  std::vector<int> order;
  {
    WorkQueue queue(/*threads=*/1, /*max_backlog=*/100);
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(queue.TrySubmit([&mu, &order, i] {
        absl::MutexLock lock(&mu);
        order.push_back(i);
      }));
    }
  }  // the destructor runs what was accepted
  ASSERT_EQ(order.size(), 50u);
  for (int i = 0; i < 50; ++i) EXPECT_EQ(order[i], i);
}

TEST(WorkQueue, RefusesATaskWhenTheBacklogIsFullAndAcceptsOnceItDrains) {
  // Declared before the queue: the workers use them until it is destroyed.
  absl::Notification running;
  absl::Notification release;
  absl::Notification third;
  std::atomic<int> ran{0};
  std::atomic<bool> refused_ran{false};
  WorkQueue queue(/*threads=*/1, /*max_backlog=*/2);
  ASSERT_TRUE(queue.TrySubmit([&] {
    running.Notify();
    release.WaitForNotification();
  }));
  running.WaitForNotification();  // the only worker is busy; nothing else runs
  EXPECT_TRUE(queue.TrySubmit([&] { ++ran; }));
  EXPECT_TRUE(queue.TrySubmit([&] { ++ran; }));
  EXPECT_EQ(queue.backlog(), 2u);  // waiting tasks only, not the running one
  EXPECT_FALSE(queue.TrySubmit([&] { refused_ran = true; }));
  EXPECT_EQ(queue.backlog(), 2u);

  release.Notify();
  // The two accepted tasks drain; then there is room again.
  while (ran.load() < 2) absl::SleepFor(absl::Milliseconds(1));
  EXPECT_TRUE(queue.TrySubmit([&] { third.Notify(); }));
  third.WaitForNotification();
  EXPECT_FALSE(refused_ran);  // a refused task is dropped, never run
}

TEST(WorkQueue, ABacklogOfZeroRefusesEverything) {
  std::atomic<bool> ran{false};
  WorkQueue queue(/*threads=*/2, /*max_backlog=*/0);
  EXPECT_FALSE(queue.TrySubmit([&] { ran = true; }));
  EXPECT_EQ(queue.backlog(), 0u);
  EXPECT_FALSE(ran);
}

TEST(WorkQueue, RunsEveryAcceptedTaskBeforeTheDestructorReturns) {
  std::atomic<int> ran{0};
  int accepted = 0;
  {
    WorkQueue queue(/*threads=*/3, /*max_backlog=*/1000);
    for (int i = 0; i < 500; ++i) {
      if (queue.TrySubmit([&ran] {
            absl::SleepFor(absl::Microseconds(10));
            ++ran;
          })) {
        ++accepted;
      }
    }
  }
  EXPECT_EQ(accepted, 500);
  EXPECT_EQ(ran.load(), accepted);
}

TEST(WorkQueue, RunsTasksOnAsManyThreadsAsAskedFor) {
  // Each task waits until all three run at once: only three workers get there.
  constexpr int kThreads = 3;
  absl::Mutex mu;
  int running = 0;
  std::atomic<int> done{0};
  {
    WorkQueue queue(kThreads, /*max_backlog=*/kThreads);
    for (int i = 0; i < kThreads; ++i) {
      ASSERT_TRUE(queue.TrySubmit([&] {
        absl::MutexLock lock(&mu);
        ++running;
        mu.Await(absl::Condition(
            +[](int* n) { return *n == kThreads; }, &running));
        ++done;
      }));
    }
  }
  EXPECT_EQ(done.load(), kThreads);
}

TEST(WorkQueue, ZeroThreadsMeansOneWorker) {
  absl::Notification ran;
  WorkQueue queue(/*threads=*/0, /*max_backlog=*/1);
  ASSERT_TRUE(queue.TrySubmit([&] { ran.Notify(); }));
  EXPECT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
}

TEST(WorkQueue, TasksMaySubmitFurtherTasksWhileRunning) {
  std::atomic<int> ran{0};
  absl::Notification second_ran;
  {
    WorkQueue queue(/*threads=*/1, /*max_backlog=*/4);
    ASSERT_TRUE(queue.TrySubmit([&] {
      ++ran;
      EXPECT_TRUE(queue.TrySubmit([&] {
        ++ran;
        second_ran.Notify();
      }));
    }));
    second_ran.WaitForNotification();
  }
  EXPECT_EQ(ran.load(), 2);
}

TEST(WorkQueue, AKeyWithAThousandTasksWaitingDelaysAnotherKeyByOneTask) {
  absl::Notification running;
  absl::Notification release;
  absl::Mutex mu;
  std::vector<std::string> order;
  {
    WorkQueue queue(/*threads=*/1, /*max_backlog=*/2000);
    ASSERT_EQ(queue.Submit("flood",
                           [&] {
                             running.Notify();
                             release.WaitForNotification();
                           }),
              WorkQueue::Admission::kAccepted);
    running.WaitForNotification();
    for (int i = 0; i < 1000; ++i) {
      ASSERT_EQ(queue.Submit("flood",
                             [&] {
                               absl::MutexLock lock(&mu);
                               order.push_back("flood");
                             }),
                WorkQueue::Admission::kAccepted);
    }
    for (const char* key : {"other", "third"}) {
      ASSERT_EQ(queue.Submit(key,
                             [&, key] {
                               absl::MutexLock lock(&mu);
                               order.push_back(key);
                             }),
                WorkQueue::Admission::kAccepted);
    }
    EXPECT_EQ(queue.backlog(), 1002u);
    release.Notify();
  }
  ASSERT_EQ(order.size(), 1002u);
  // Round robin: flood's next task, then each other key's, then the rest.
  EXPECT_EQ(order[0], "flood");
  EXPECT_EQ(order[1], "other");
  EXPECT_EQ(order[2], "third");
  for (size_t i = 3; i < order.size(); ++i) EXPECT_EQ(order[i], "flood");
}

TEST(WorkQueue, AKeyPastItsInFlightLimitIsRefusedWhileOthersAreAccepted) {
  absl::Notification running;
  absl::Notification release;
  std::atomic<int> ran{0};
  WorkQueue queue(/*threads=*/1, /*max_backlog=*/100, /*max_in_flight_per_key=*/3);
  ASSERT_EQ(queue.Submit("a",
                         [&] {
                           running.Notify();
                           release.WaitForNotification();
                           ++ran;
                         }),
            WorkQueue::Admission::kAccepted);
  running.WaitForNotification();
  // The running task counts: one running and two waiting make three.
  EXPECT_EQ(queue.Submit("a", [&] { ++ran; }), WorkQueue::Admission::kAccepted);
  EXPECT_EQ(queue.Submit("a", [&] { ++ran; }), WorkQueue::Admission::kAccepted);
  EXPECT_EQ(queue.Submit("a", [&] { ran += 100; }), WorkQueue::Admission::kKeyOverLimit);
  EXPECT_EQ(queue.Submit("b", [&] { ++ran; }), WorkQueue::Admission::kAccepted);
  EXPECT_EQ(queue.backlog(), 3u);
  release.Notify();
  while (ran.load() < 4) absl::SleepFor(absl::Milliseconds(1));
  // Once its tasks are done the key has its whole share again.
  absl::Notification again;
  EXPECT_EQ(queue.Submit("a", [&] { again.Notify(); }), WorkQueue::Admission::kAccepted);
  again.WaitForNotification();
  EXPECT_EQ(ran.load(), 4);
}

TEST(WorkQueue, AFullBacklogRefusesAKeyUnderItsLimitAsFullAndOneOverItAsOverLimit) {
  absl::Notification running;
  absl::Notification release;
  WorkQueue queue(/*threads=*/1, /*max_backlog=*/2, /*max_in_flight_per_key=*/2);
  ASSERT_EQ(queue.Submit("a",
                         [&] {
                           running.Notify();
                           release.WaitForNotification();
                         }),
            WorkQueue::Admission::kAccepted);
  running.WaitForNotification();
  EXPECT_EQ(queue.Submit("a", [] {}), WorkQueue::Admission::kAccepted);
  EXPECT_EQ(queue.Submit("b", [] {}), WorkQueue::Admission::kAccepted);
  EXPECT_EQ(queue.Submit("c", [] {}), WorkQueue::Admission::kFull);
  EXPECT_EQ(queue.Submit("a", [] {}), WorkQueue::Admission::kKeyOverLimit);
  release.Notify();
}

}  // namespace
}  // namespace tokend::common
