// ga_event_call.cpp: the cost of the official GameAnalytics C++ SDK's addDesignEvent on the
// calling thread, measured exactly as bench/sdk_event_call.c measures playstat_design, so
// bench/sdk_event_call.sh can print both from one run. Built by bench/ga_sdk_build.sh (not by
// CMake: the SDK is fetched from its public source, which CI cannot reach).
//
//   ga_event_call GAME_KEY SECRET_KEY WRITABLE_DIR [CALLS] [PER_S]
//
// The collector is http://$GA_BENCH_HOST (the build patches the SDK's host constant to read
// it, and its protocol to http). Prints one JSON line like sdk_event_call's.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <time.h>
#include <unistd.h>
#include <vector>

#include "GameAnalytics/GameAnalytics.h"

static double now_us() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s GAME_KEY SECRET_KEY WRITABLE_DIR [CALLS] [PER_S]\n", argv[0]);
    return 2;
  }
  long calls = argc > 4 ? std::atol(argv[4]) : 20000;
  double per_s = argc > 5 ? std::atof(argv[5]) : 0;
  using gameanalytics::GameAnalytics;
  GameAnalytics::configureWritablePath(argv[3]);
  GameAnalytics::configureBuild("1.0.0");
  GameAnalytics::initialize(argv[1], argv[2]);
  std::this_thread::sleep_for(std::chrono::seconds(2)); // init answered, session started
  char id[64];
  for (long i = 0; i < 1000; i++) {
    std::snprintf(id, sizeof id, "Warmup:Kill:Orc%ld", i % 50);
    GameAnalytics::addDesignEvent(id, (double)i);
  }
  std::vector<double> us((size_t)calls);
  double start = now_us();
  for (long i = 0; i < calls; i++) {
    std::snprintf(id, sizeof id, "Gameplay:Kill:Orc%ld", i % 50);
    if (per_s > 0) {
      double wait = start + (double)i * 1e6 / per_s - now_us();
      if (wait > 0) usleep((useconds_t)wait);
    }
    double t0 = now_us();
    GameAnalytics::addDesignEvent(id, (double)i);
    us[(size_t)i] = now_us() - t0;
  }
  std::sort(us.begin(), us.end());
  auto at = [&](double q) { return us[(size_t)((double)(calls - 1) * q)]; };
  std::printf("{\"sdk\":\"gameanalytics-cpp\",\"calls\":%ld,\"per_s\":%g,\"median_us\":%.1f,\"p90_us\":%.1f,"
              "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
              calls, per_s, at(0.5), at(0.9), at(0.99), at(0.999), us[(size_t)calls - 1]);
  std::fflush(stdout);
  GameAnalytics::onQuit();
  return 0;
}
